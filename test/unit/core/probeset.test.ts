import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  formatProbeSet,
  formatProbeSetErrors,
  parseProbeSet,
} from '../../../main/core/probeset/parse-probe-set.js';
import {
  listProfiles,
  OLDER_KERNEL_NAMES,
  profileEntries,
  PROFILE_ORDER,
} from '../../../main/core/probeset/profiles.js';
import { PROFILE_NAMES, ProbeFactsSchema } from '../../../main/api/trace.js';
import { onPath } from '../../support/requirements.js';

describe('probe facts', () => {
  it('the schema reads what the real loader prints', () => {
    const raw = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures/probe-local-6.18.json'), 'utf8'));
    const facts = ProbeFactsSchema.parse(raw);
    expect(facts.kernel.release).toMatch(/^\d+\.\d+/);
    expect(facts.attach['raw-tp']?.ok).toBe(true);
    expect(facts.dropReasons.find((d) => d.value === 2)?.name).toBe('NOT_SPECIFIED');
  });
});

describe('probe-set parser', () => {
  it('reads functions, options and comments', () => {
    const r = parseProbeSet(
      [
        '# the seed kp_func.list, grown up',
        '',
        'ip_rcv',
        '  ip_rcv_core.isra.0  arg=1 # clone',
        'dev_hard_start_xmit stack ret',
        'consume_skb final',
      ].join('\n'),
    );
    expect(r.errors).toEqual([]);
    expect(r.entries).toEqual([
      { function: 'ip_rcv', final: false, stack: false, ret: false, line: 3 },
      { function: 'ip_rcv_core.isra.0', arg: 1, final: false, stack: false, ret: false, line: 4 },
      { function: 'dev_hard_start_xmit', final: false, stack: true, ret: true, line: 5 },
      { function: 'consume_skb', final: true, stack: false, ret: false, line: 6 },
    ]);
    expect(parseProbeSet(formatProbeSet(r.entries)).entries.map(({ line: _l, ...e }) => e)).toEqual(
      r.entries.map(({ line: _l, ...e }) => e),
    );
  });

  it('reports each bad token with its line and column', () => {
    const text = [
      'ip_rcv arg=7',
      'ip-rcv',
      '  tcp_v4_rcv bogus',
      'ip_rcv',
      'udp_rcv final=1 final',
      'icmp_rcv arg=1 arg=2',
      'x arg=',
    ].join('\n');
    const { errors, entries } = parseProbeSet(text);
    expect(errors).toEqual([
      { line: 1, column: 12, message: 'arg= takes the skb argument position 1-5, not "7"' },
      { line: 2, column: 1, message: '"ip-rcv" is not a kernel function name' },
      { line: 3, column: 14, message: 'unknown option "bogus" (expected arg=N, final, stack or ret)' },
      { line: 4, column: 1, message: 'ip_rcv is already listed on line 1' },
      { line: 5, column: 14, message: 'final takes no value' },
      { line: 5, column: 17, message: 'option final given twice' },
      { line: 6, column: 16, message: 'option arg given twice' },
      { line: 7, column: 7, message: 'arg= takes the skb argument position 1-5, not ""' },
    ]);
    expect(entries.map((e) => e.function)).toEqual(['ip_rcv', 'tcp_v4_rcv', 'udp_rcv', 'icmp_rcv', 'x']);
    expect(formatProbeSetErrors('probes.list', errors)).toBe(
      'probes.list:1:12: arg= takes the skb argument position 1-5, not "7" (and 7 more)',
    );
  });

  it('accepts CRLF files and an empty set', () => {
    expect(parseProbeSet('ip_rcv\r\nconsume_skb final\r\n').entries).toHaveLength(2);
    expect(parseProbeSet('# nothing\n\n')).toEqual({ entries: [], errors: [] });
  });
});

describe('built-in profiles', () => {
  it('cover every profile name of the contract, each well-formed and ending at a free', () => {
    expect([...PROFILE_ORDER]).toEqual([...PROFILE_NAMES]);
    for (const p of listProfiles()) {
      if (p.dynamic) continue;
      const entries = profileEntries(p.name);
      expect(entries.length, p.name).toBeGreaterThan(8);
      expect(
        entries.filter((e) => e.final).map((e) => e.function),
        p.name,
      ).toContain('consume_skb');
    }
  });

  it('all-skb is every skb function the host reports, with its argument positions', () => {
    expect(() => profileEntries('all-skb')).toThrow(/probed first/);
    // The real `loader probe` document of this lab machine, with the function list a BTF+ftrace kernel reports.
    const facts = ProbeFactsSchema.parse({
      ...JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures/probe-local-6.18.json'), 'utf8')),
      functions: [
        { name: 'ip_rcv', pos: 1 },
        { name: 'tc_run', pos: 2 },
        { name: 'consume_skb', pos: 1 },
      ],
    });
    expect(profileEntries('all-skb', facts).map((e) => [e.function, e.arg, e.final])).toEqual([
      ['ip_rcv', 1, false],
      ['tc_run', 2, false],
      ['consume_skb', 1, true],
    ]);
  });

  // The real check: this machine's kernel BTF says each profile function exists and takes a struct sk_buff *.
  const btf = '/sys/kernel/btf/vmlinux';
  it.runIf(onPath('bpftool') && existsSync(btf))(
    'name functions that exist in this kernel and take a struct sk_buff * (BTF)',
    () => {
      const skbFns = skbFunctionsFromBtf(
        execFileSync('bpftool', ['btf', 'dump', 'file', btf, 'format', 'raw'], {
          encoding: 'utf8',
          maxBuffer: 1 << 30,
        }),
      );
      expect(skbFns.size).toBeGreaterThan(500);
      expect(skbFns.get('tc_run')).toBe(2); // sanity of the parser: tc_run(struct tcx_entry *, struct sk_buff *)
      const bad: string[] = [];
      for (const p of listProfiles()) {
        if (p.dynamic) continue;
        for (const e of profileEntries(p.name))
          if (!skbFns.has(e.function) && !(e.function in OLDER_KERNEL_NAMES))
            bad.push(`${p.name}:${e.function}`);
      }
      expect(bad).toEqual([]);
    },
  );
});

/** FUNC name → position (1-5) of its first `struct sk_buff *` parameter, from `bpftool btf dump ... format raw`. */
function skbFunctionsFromBtf(raw: string): Map<string, number> {
  const types = new Map<number, { kind: string; name: string; ref?: number }>();
  const params = new Map<number, number[]>();
  const funcs: [string, number][] = [];
  let proto: number | undefined;
  for (const line of raw.split('\n')) {
    const m = /^\[(\d+)\] (\w+) '([^']*)'(.*)$/.exec(line);
    if (m) {
      const id = Number(m[1]);
      const ref = /type_id=(\d+)/.exec(m[4]!)?.[1];
      types.set(id, { kind: m[2]!, name: m[3]!, ...(ref ? { ref: Number(ref) } : {}) });
      proto = m[2] === 'FUNC_PROTO' ? id : undefined;
      if (proto !== undefined) params.set(id, []);
      if (m[2] === 'FUNC' && ref) funcs.push([m[3]!, Number(ref)]);
      continue;
    }
    const p = /^\s+'[^']*' type_id=(\d+)/.exec(line);
    if (p && proto !== undefined) params.get(proto)!.push(Number(p[1]));
  }
  const isSkbPtr = (id: number): boolean => {
    const t = types.get(id);
    if (t?.kind !== 'PTR' || t.ref === undefined) return false;
    let target = types.get(t.ref);
    while (target && ['CONST', 'VOLATILE', 'TYPEDEF'].includes(target.kind) && target.ref !== undefined)
      target = types.get(target.ref);
    return target?.kind === 'STRUCT' && target.name === 'sk_buff';
  };
  const out = new Map<string, number>();
  for (const [name, protoId] of funcs) {
    const pos = (params.get(protoId) ?? []).slice(0, 5).findIndex(isSkbPtr);
    if (pos >= 0) out.set(name, pos + 1);
  }
  return out;
}
