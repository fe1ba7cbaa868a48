import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PacketQuerySchema } from '../../../main/api/packets.js';
import { TraceSpecSchema, type PacketPath } from '../../../main/api/trace.js';
import {
  EXPLAIN_LOOKAHEAD,
  explainOptionsFor,
  explainPackets,
} from '../../../main/core/explain/explain-packets.js';
import { coreQuery, selectLocal, type ListQuery } from '../../../renderer/src/model/list-query.js';
import { RunFile } from '../../../main/core/sessions/run-file.js';
import { explainedPacketAt, explainedPacketsAt } from '../../../main/core/sessions/run-verdicts.js';
import { RunFileWriter } from '../../../main/core/sessions/run-file-writer.js';
import { SessionStore } from '../../../main/core/sessions/session-store.js';
import { FrameDecoder } from '../../../main/core/trace/frame-decoder.js';
import { PacketGrouper } from '../../../main/core/trace/packet-grouper.js';

// A saved run keeps no verdicts: they are computed when it is read (so runs saved before explain get them too),
// and a clone written apart from its original is found by its `parent` when the run is read.
const root = mkdtempSync(join(tmpdir(), 'pktpath-explain-sessions-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** The recorded ping between two namespaces on this machine (tracepoints), as the run file would hold it,
 * without any `children` (as when the original was written before its clone appeared). */
function recordedPing(): PacketPath[] {
  const g = new PacketGrouper();
  const d = new FrameDecoder({ event: (b, o) => g.add(b, o), status: (r) => g.noteRecord(r) });
  d.push(readFileSync(join(import.meta.dirname, 'fixtures/explain/local-ping.bin')));
  return g.all().map(({ children: _derived, ...p }) => p);
}

const all0 = (s: SessionStore, id: string) => s.packets(id, undefined, PacketQuerySchema.parse({}));

/** Every count of drops a saved run shows: the run's total, its listed variants', the compare/report variants'. */
function dropCounts(s: SessionStore, id: string): number[] {
  const run = s.get(id).runs[0]!;
  return [
    run.dropped,
    ...run.variants.map((v) => v.dropped),
    ...s.runVariants(id).variants.map((v) => v.dropped ?? 0),
  ];
}

describe('explain in saved runs', () => {
  it('sessions.packet explains a packet with the clone found on read; sessions.packets filters by verdict', () => {
    const packets = recordedPing();
    const s = new SessionStore(join(root, 'data'));
    const { id } = s.create({
      title: 'ping',
      hosts: [{ name: 'local', address: 'local', kernelRelease: '6.18.44' }],
      runs: [
        {
          id: 'r1',
          host: 'local',
          spec: { host: 'local', filter: 'icmp' },
          mode: 'tracepoint',
          kernelRelease: '6.18.44',
          startedAt: '2026-01-01T00:00:00.000Z',
          packets,
        },
      ],
    });
    const clone = packets.find((p) => p.parent !== undefined)!;
    const reply = s.packet(id, undefined, clone.parent);
    expect(reply.verdict?.summary).toBe('delivered (raw socket, via a clone)');
    expect(reply.children).toEqual([clone.id]);
    expect(reply.drop).toBeUndefined();

    const page = (verdict: 'dropped' | 'delivered') =>
      s.packets(id, undefined, PacketQuerySchema.parse({ filter: { verdict } }));
    expect(page('dropped').total).toBe(0);
    const delivered = page('delivered').packets.map((p) => p.id);
    expect(delivered).toContain(reply.id);
    expect(delivered).toContain(clone.id);
    // the raw drop reason stays on the summary (the kernel's own word), the verdict says it was not the fate, and
    // the `dropped` filter goes by the verdict like every other face
    expect(all0(s, id).packets.find((p) => p.id === reply.id)?.drop_reason).toBe('NO_SOCKET');
    expect(s.packets(id, undefined, PacketQuerySchema.parse({ filter: { dropped: true } })).total).toBe(0);
    expect(s.packets(id, undefined, PacketQuerySchema.parse({ filter: { dropped: false } })).total).toBe(
      packets.length,
    );
    // the list, the verdict filter and the display filter read the same verdicts: the reply is delivered
    const all = s.packets(id, undefined, PacketQuerySchema.parse({}));
    expect(all.packets.find((p) => p.id === reply.id)?.verdict).toBe('delivered');
    expect(all.packets.every((p) => p.verdict !== undefined)).toBe(true);
    const shown = (display: string) =>
      s.packets(id, undefined, PacketQuerySchema.parse({ filter: { display } })).total;
    expect(shown('verdict == dropped')).toBe(0);
    expect(shown('verdict == delivered')).toBe(page('delivered').total);
  });

  it('a run recorded as a trace writes it (packet by packet) holds the verdicts a reader computes', () => {
    const packets = recordedPing();
    const o = { reasonsKnown: true };
    const w = new RunFileWriter(join(root, 'recorded.run'), () => o);
    for (const p of packets) w.append(p);
    const file = RunFile.open(w.finish().file);
    const expected = [...explainPackets(packets, o)].map((p) => p.verdict?.kind);
    expect(Array.from({ length: file.count }, (_, i) => file.summary(i).verdict)).toEqual(expected);
    expect(expected).not.toContain('dropped');
    expect(expected).toContain('delivered');
  });

  it('a tracepoint run its packet limit stopped: its last echo reply without a socket copy is unknown to the writer and every reader alike', () => {
    // the recorded ping (request, reply freed NO_SOCKET, the reply's copy read by ping) repeated; ping 3's copy is
    // missing (a real NO_SOCKET drop: 1000+ packets followed it), and the run ends on a reply whose copy the limit
    // kept out
    const [req, reply, copy] = recordedPing() as [PacketPath, PacketPath, PacketPath];
    const shift = (p: PacketPath, k: number, parent?: number): PacketPath => ({
      ...p,
      id: p.id + 3 * k,
      ...(parent !== undefined ? { parent } : {}),
      hops: p.hops.map((h) => ({ ...h, ts_ns: h.ts_ns + k * 1e9 })),
    });
    const pings = 700;
    const packets = Array.from({ length: pings }, (_, k) =>
      k === 3
        ? [shift(req, k), shift(reply, k)]
        : [shift(req, k), shift(reply, k), shift(copy, k, reply.id + 3 * k)],
    ).flat();
    packets.push(shift(req, pings), shift(reply, pings));
    expect(packets.length).toBeGreaterThan(2 * EXPLAIN_LOOKAHEAD);
    const events = [{ t_ms: 700_000, kind: 'done' as const, data: { reason: 'packets' } }];
    const run = { host: 'local', mode: 'tracepoint' as const, kernelRelease: '6.18.44', events };
    // the writer asks for its options at the first packet, before the loader's done record came
    let ended = false;
    const w = new RunFileWriter(join(root, 'limited.run'), () =>
      explainOptionsFor(ended ? run : { ...run, events: [] }),
    );
    for (const p of packets) w.append(p);
    ended = true;
    const recorded = w.finish();
    const file = RunFile.open(recorded.file);
    const col = Array.from({ length: file.count }, (_, i) => file.summary(i).verdict);
    const at = (id: number) => packets.findIndex((p) => p.id === id);
    const early = at(reply.id + 9),
      last = at(reply.id + 3 * pings);
    expect([col[early], col[last]]).toEqual(['dropped', 'unknown']);
    expect(col.filter((v) => v === 'dropped' || v === 'unknown')).toHaveLength(2);
    // readers: in file order (import check, old files, CLI) and one packet at a time (the Path view)
    const o = explainOptionsFor(run);
    expect([...explainPackets(packets, o)].map((p) => p.verdict?.kind)).toEqual(col);
    expect(explainedPacketAt(file, last, o, true).verdict).toMatchObject({
      kind: 'unknown',
      unseen: 'socket-copy-limit',
    });
    expect(explainedPacketAt(file, early, o, true).verdict?.kind).toBe('dropped');
    // several at once (the report's first packet of each path): one pass, the same verdicts as one at a time
    const some = [0, early, early + 1, last];
    expect(some.length * (2 * EXPLAIN_LOOKAHEAD + 1)).toBeGreaterThan(file.count); // the one-pass way
    const many = explainedPacketsAt(file, some, o, true);
    for (const at of some)
      expect(many.get(at)?.verdict).toEqual(explainedPacketAt(file, at, o, true).verdict);
    // saved and exported as a trace saves it, it imports (the import check recomputes the verdict column)
    const s = new SessionStore(join(root, 'data-limited'));
    const saved = s.saveRecorded(
      { title: 'limited' },
      [
        {
          run: {
            ...run,
            id: 'r1',
            spec: TraceSpecSchema.parse({ host: 'local', filter: 'icmp' }),
            startedAt: '2026-01-01T00:00:00Z',
            lost: 0,
          },
          recorded,
        },
      ],
      [{ name: 'local', address: 'local', kernelRelease: '6.18.44' }],
    );
    const copyOf = s.importData(s.exportData(saved.id), 'limited.pktpath');
    expect(s.packet(copyOf.id, undefined, reply.id + 3 * pings).verdict?.kind).toBe('unknown');
    expect(s.get(copyOf.id).runs[0]?.dropped).toBe(1);
  });

  it('the packet list’s "drops only" lists no packet of a healthy ping, saved or live (raw NO_SOCKET frees aside)', () => {
    const packets = recordedPing();
    expect(packets.some((p) => p.drop_reason === 'NO_SOCKET')).toBe(true); // the original of the delivered reply
    const s = new SessionStore(join(root, 'data-drops'));
    const run = { host: 'local', mode: 'tracepoint' as const, kernelRelease: '6.18.44' };
    const { id } = s.create({
      title: 'ping',
      hosts: [{ name: 'local', address: 'local', kernelRelease: '6.18.44' }],
      runs: [
        {
          ...run,
          id: 'r1',
          spec: { host: 'local', filter: 'icmp' },
          startedAt: '2026-01-01T00:00:00Z',
          packets,
        },
      ],
    });
    // the Sessions list, the path variants and the compare view count no drop either (they counted raw frees)
    expect(dropCounts(s, id).filter((n) => n > 0)).toEqual([]);
    // nor does the Markdown report (it said "dropped: NO_SOCKET" from the raw free); it gives the verdict
    const report = s.report(id);
    expect(report).not.toMatch(/dropped/);
    expect(report).toMatch(/\): delivered /);
    // and an export of it imports (the import check adds drops up the same way)
    const copy = s.importData(s.exportData(id), 'ping.pktpath');
    expect(dropCounts(s, copy.id).filter((n) => n > 0)).toEqual([]);
    // so does one written before, which counted the reply's NO_SOCKET free as a drop (same bytes, "0" → "1")
    const before = s
      .exportData(id)
      .toString('latin1')
      .replace(/("dropped": ?)0(,\s*("firstPacket": ?\d+,\s*)?"drop_reason": ?"NO_SOCKET")/g, '$11$2')
      .replace(/("hops": ?\d+,\s*"dropped": ?)0/g, '$11');
    const old = s.importData(Buffer.from(before, 'latin1'), 'ping-before.pktpath');
    expect(s.get(old.id).runs[0]?.dropped).toBe(1);
    const w = new RunFileWriter(join(root, 'data-drops', 'recorded.run'), () => ({ reasonsKnown: true }));
    for (const p of packets) w.append(p);
    const r = w.finish();
    expect(r.dropped).toBe(0);
    expect(r.variants.filter((v) => v.dropped > 0)).toEqual([]);
    const dropsOnly: ListQuery = { sort: 'time', desc: false, dropsOnly: true };
    const saved = s.packets(id, undefined, PacketQuerySchema.parse(coreQuery(dropsOnly)));
    expect(saved.total).toBe(0);
    // a live run's list holds explained packets: the same answer from the page's own filter
    const live = [...explainPackets(packets, { reasonsKnown: true })];
    expect(selectLocal(live, dropsOnly, () => 0, 0)).toEqual([]);
    // a drop is still one
    const dropped = { ...live[0]!, verdict: { kind: 'dropped' as const, summary: 'dropped at kfree_skb' } };
    expect(selectLocal([dropped, ...live], dropsOnly, () => 0, 0)).toEqual([dropped]);
  });
});
