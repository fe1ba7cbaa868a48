import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { HostContext } from '../../../main/api/explain.js';
import type { PacketPath } from '../../../main/api/trace.js';
import { diagnosePackets } from '../../../main/core/diagnose/explain-run.js';
import { explainPackets } from '../../../main/core/explain/explain-packets.js';
import { RULES } from '../../../main/core/diagnose/library.js';

// The rule library on real traces: each fixture is one lab scenario (test/lab/scenarios/) traced with the built
// CLI on this machine's kernel and recorded with its host context (PKTPATH_RECORD_SCENARIOS=1 with
// test/lab/diagnose-scenarios.test.ts). The diagnosis is computed afresh from the recorded hops and context.
/** This machine's kernel (6.18) reports drop reasons. */
const REASONS = { reasonsKnown: true };
const DIR = 'test/unit/fixtures/diagnose';

interface Fixture {
  scenario: string;
  rule: string;
  verdict: string;
  packet: number | null;
  names: string[];
  linked?: boolean;
  context?: HostContext;
  doc: { packets: PacketPath[] };
}

const fixtures: Fixture[] = readdirSync(DIR)
  .filter((f) => f.endsWith('.json'))
  .map((f) => JSON.parse(readFileSync(join(DIR, f), 'utf8')) as Fixture);

/** The recorded packets as the run file holds them: without what the diagnosis adds. */
const raw = (p: PacketPath): PacketPath => {
  const { diagnosis: _d, ...rest } = p;
  if (!rest.drop?.netfilter) return rest;
  const { netfilter: _n, ...drop } = rest.drop;
  return { ...rest, drop };
};

describe('diagnosis of recorded scenario traces', () => {
  it('has a recorded trace for every scenario', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(20);
  });

  for (const fx of fixtures) {
    it(`${fx.scenario}: ${fx.rule}, naming ${fx.names.join(', ')}`, () => {
      expect(fx.packet, 'the scenario picked no packet when it was recorded').not.toBeNull();
      const out = [...diagnosePackets(fx.doc.packets.map(raw), fx.context, REASONS)];
      const p = out.find((x) => x.id === fx.packet)!;
      expect(p.diagnosis?.rule, JSON.stringify(p.diagnosis)).toBe(fx.rule);
      for (const n of fx.names) expect(p.diagnosis!.summary).toContain(n);
      expect(p.diagnosis!.advice.length).toBeGreaterThan(0);
      if (fx.linked) expect(p.diagnosis!.evidence.map((e) => e.kind)).toContain('link');
    });
  }

  it('gives every packet of every recorded run a diagnosis with advice', () => {
    for (const fx of fixtures)
      for (const p of diagnosePackets(fx.doc.packets.map(raw), fx.context, REASONS)) {
        expect(p.diagnosis, `${fx.scenario} packet ${p.id}`).toBeDefined();
        expect(p.diagnosis!.advice.length).toBeGreaterThan(0);
      }
  });

  it('a forwarded packet is said to leave by its interface’s name, not its index (names, not numbers)', () => {
    const fx = fixtures.find((f) => f.scenario === 'forwarded')!;
    const unexplained = fx.doc.packets.map(raw).map(({ verdict: _v, ...p }) => p);
    const p = [...explainPackets(unexplained, REASONS)].find((x) => x.id === fx.packet)!;
    const out = p.hops[p.verdict!.hop!]!;
    expect(out.ifname).toMatch(/^ppt/);
    expect(p.verdict).toMatchObject({
      kind: 'forwarded',
      summary: `forwarded out ${out.ifname!}`,
      egress: { ifindex: out.ifindex, ifname: out.ifname },
    });
  });

  it('has unique rule ids, each with a title, and advice in every rule it can give', () => {
    const ids = RULES.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBeGreaterThanOrEqual(22);
    for (const r of RULES) expect(r.title.length).toBeGreaterThan(10);
  });
});

describe('docs', () => {
  it('docs/CLI.md lists every rule of the library', () => {
    const doc = readFileSync('docs/CLI.md', 'utf8');
    for (const r of RULES) expect(doc, r.id).toContain(`| \`${r.id}\` |`);
  });
});
