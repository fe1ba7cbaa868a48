import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { RunSchema, TraceSpecSchema, type TraceSpecInput } from '../../../main/api/trace.js';
import { profileEntries } from '../../../main/core/probeset/profiles.js';
import { fallbackSummary, loaderConfig, probeEntries } from '../../../main/core/trace/loader-config.js';
import { LOADER } from '../../tracer/loader-run.js';

const configOf = (probes: TraceSpecInput['probes']) => {
  const spec = TraceSpecSchema.parse({ host: 'h', filter: 'icmp', probes });
  return loaderConfig(spec, probeEntries(spec));
};

describe('loader config', () => {
  it('carries ret and stack to the one function that asks for them, never run-wide', () => {
    const c = configOf({
      kind: 'text',
      text: 'ip_route_input_noref ret stack\nip_output stack\nicmp_rcv ret arg=1\nip_rcv\n',
    });
    expect(c.probes.functions).toEqual([
      { name: 'ip_route_input_noref', ret: true, stack: true },
      { name: 'ip_output', stack: true },
      { name: 'icmp_rcv', pos: 1, ret: true },
      'ip_rcv',
    ]);
    expect(c.options).toEqual({ stack: false, dropStack: true });
  });

  it('sends the default profile by name: the loader keeps no default list of its own', () => {
    const names = profileEntries('default').map((e) => e.function);
    expect(configOf({ kind: 'profile', name: 'default' }).probes.functions).toEqual(names);
    // what the loader's own list held is in the profile now (e.g. veth_xmit, the veth hand-off)
    expect(names).toEqual(expect.arrayContaining(['veth_xmit', 'icmp_echo', 'ip_rcv', '__ip_local_out']));
    // the committed loader refuses "default" when it parses the config, before it needs root or a kernel; the bad
    // filter after it is what a loader that still accepted "default" would report instead
    const r = spawnSync(LOADER, ['trace', '--json'], {
      input: JSON.stringify({ filter: '(((', probes: { functions: 'default' } }),
      encoding: 'utf8',
    });
    expect(r.status).toBe(2);
    expect(JSON.parse(r.stdout)).toEqual({
      type: 'error',
      error: 'probes.functions must be an array or one of "all", "none"',
    });
  });

  it('summarizes which functions fell back to another backend, and why', () => {
    const probe = (data: Record<string, unknown>) => ({ t_ms: 1, kind: 'probe', data });
    const run = RunSchema.parse({
      id: 'r',
      host: 'h',
      spec: { host: 'h' },
      mode: 'fentry',
      startedAt: new Date(0).toISOString(),
      events: [
        probe({ name: 'ip_rcv', kind: 'fentry', attached: true }),
        probe({
          name: 'veth_xmit',
          kind: 'kprobe',
          attached: true,
          fallbacks: [{ backend: 'fentry', error: 'fentry: module functions need kprobe' }],
        }),
        probe({
          name: 'nope',
          kind: 'kprobe',
          attached: false,
          error: 'kprobe: x',
          fallbacks: [{ backend: 'fentry', error: 'y' }],
        }),
      ],
    });
    expect(fallbackSummary(run)).toEqual(['veth_xmit → kprobe (fentry: module functions need kprobe)']);
  });
});
