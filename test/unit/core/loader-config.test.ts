import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { TraceSpecSchema, type TraceSpecInput } from '../../../main/api/trace.js';
import {
  parseInterface,
  parseMark,
  parseNetns,
  parseTcPoint,
  parseTcPoints,
  tcPointText,
} from '../../../main/api/trace-scope.js';
import { profileEntries } from '../../../main/core/probeset/profiles.js';
import { fellBackOf, loaderConfig, probeEntries } from '../../../main/core/trace/loader-config.js';
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

  it('scopes reach the loader: a netns by name or inode, interface, mark, TC observers (the loader parses them)', () => {
    const spec = TraceSpecSchema.parse({
      host: 'h',
      filter: '(((',
      meta: { netns: 'web', ifname: 'veth0', mark: { value: 0x10, mask: 0xf0 } },
      tc: [{ interface: 'veth1', netns: 'web', direction: 'ingress' }, { interface: 'eth0' }],
    });
    const c = loaderConfig(spec, probeEntries(spec));
    expect(c).toMatchObject({ netns: '/run/netns/web', interface: 'veth0', mark: 0x10, markMask: 0xf0 });
    expect(c.probes.tc).toEqual([
      { interface: 'veth1', netns: '/run/netns/web', direction: 'ingress' },
      { interface: 'eth0', direction: 'both' },
    ]);
    // the committed loader takes every field (an inode for the netns: no /run/netns/web here) and stops at the
    // filter, which it compiles after the config: a field it refused would be the error instead
    const inode = loaderConfig({ ...spec, meta: { ...spec.meta, netns: 4026531840 } }, probeEntries(spec));
    const r = spawnSync(LOADER, ['trace', '--json'], {
      input: JSON.stringify({
        ...inode,
        probes: { ...inode.probes, tc: [{ interface: 'eth0', direction: 'both' }] },
      }),
      encoding: 'utf8',
    });
    expect(JSON.parse(r.stdout) as unknown).toMatchObject({
      type: 'error',
      error: expect.stringMatching(/^filter/),
    });
  });

  it('the scope grammar: names, never paths; marks inside their masks; TC points with a direction', () => {
    expect(parseNetns('web')).toEqual({ value: 'web' });
    expect(parseNetns('4026531840')).toEqual({ value: 4026531840 });
    for (const bad of ['..', '../etc', '/run/netns/web', 'a b', '0'])
      expect(parseNetns(bad), bad).toHaveProperty('error');
    expect(parseInterface('eth0')).toEqual({ value: { ifname: 'eth0' } });
    expect(parseInterface('3')).toEqual({ value: { ifindex: 3 } });
    expect(parseInterface('a-very-long-interface')).toHaveProperty('error');
    expect(parseMark('0x10/0xf0')).toEqual({ value: { value: 16, mask: 240 } });
    expect(parseMark('7')).toEqual({ value: { value: 7, mask: 0xffffffff } });
    expect(parseMark('0x11/0xf0')).toEqual({ error: 'mark 0x11/0xf0: the value has bits outside the mask' });
    expect(parseMark('1/2/3')).toHaveProperty('error');
    expect(parseTcPoint('veth0@web:ingress')).toEqual({
      value: { interface: 'veth0', netns: 'web', direction: 'ingress' },
    });
    expect(parseTcPoint('eth0')).toEqual({ value: { interface: 'eth0', direction: 'both' } });
    expect(parseTcPoint('eth0:sideways')).toHaveProperty('error');
    expect(parseTcPoint('eth0@../x')).toHaveProperty('error');
    const many = parseTcPoints('a, b:egress c@ns');
    expect('value' in many && many.value.map(tcPointText)).toEqual(['a', 'b:egress', 'c@ns']);
    // the contract holds the same rule at the trust boundary
    expect(TraceSpecSchema.safeParse({ host: 'h', meta: { netns: '../x' } }).success).toBe(false);
  });

  it('says which function another backend took, and why, from its probe record', () => {
    expect(fellBackOf({ name: 'ip_rcv', kind: 'fentry', attached: true })).toBeUndefined();
    expect(
      fellBackOf({
        name: 'veth_xmit',
        kind: 'kprobe',
        attached: true,
        fallbacks: [{ backend: 'fentry', error: 'fentry: module functions need kprobe' }],
      }),
    ).toEqual({ function: 'veth_xmit', backend: 'kprobe', reason: 'fentry: module functions need kprobe' });
    // not attached at all: a failure, reported as one, not as a fallback
    expect(
      fellBackOf({
        name: 'nope',
        kind: 'kprobe',
        attached: false,
        error: 'kprobe: x',
        fallbacks: [{ backend: 'fentry', error: 'y' }],
      }),
    ).toBeUndefined();
  });
});
