import { isDropped } from '../../api/explain.js';
import { capturesOf, summarizePacket, type PacketSummary } from '../../api/packets.js';
import { placeOf } from './run-index-places.js';
import { MAX_LISTED_VARIANTS, MAX_PACKET_HOPS, type RunVariant } from '../../api/sessions.js';
import { MAX_SNAPLEN, PacketPathSchema, type PacketPath } from '../../api/trace.js';
import { formatIssues } from '../../api/validate.js';
import { SessionFormatError, type StoredRun } from './migrate-session.js';
import { checkedCaptures } from './pcapng-export.js';
import { packetFlags, RunFile, type RunIndexDoc } from './run-file.js';
import { ExplainWindow, explainOptionsFor, type ExplainedGroup } from '../explain/explain-packets.js';

/**
 * What `sessions import` checks beyond the schemas: a session file comes from elsewhere, so every packet is read
 * once and the run file's index, the metadata's totals and the packets must tell the same story. Whatever passes
 * can be paged, reported and exported later without an internal error.
 */

/** Variants compared by value, whatever order a hand-made file lists their fields in. */
const variantsKey = (vs: readonly RunVariant[]) =>
  JSON.stringify(vs.map((v) => [v.functions, v.count, v.dropped, v.firstPacket]));

function fail(where: string, what: string): never {
  throw new SessionFormatError(`${where}: ${what}`);
}

/** A packet's hop count and captured bytes are within what pktpath writes (the schema allows any size). */
export function checkImportedPacket(p: PacketPath, where: string, snaplen = MAX_SNAPLEN): void {
  if (p.hops.length > MAX_PACKET_HOPS)
    fail(where, `${p.hops.length} hops, more than the ${MAX_PACKET_HOPS} a packet may have`);
  const caps = checkedCaptures(p, snaplen);
  if (typeof caps === 'string') fail(where, caps);
}

function readPacket(line: Buffer, where: string, snaplen: number | undefined): PacketPath {
  let raw: unknown;
  try {
    raw = JSON.parse(line.toString('utf8'));
  } catch (e) {
    return fail(where, `not JSON: ${(e as Error).message}`);
  }
  const hops = (raw as { hops?: unknown } | null)?.hops; // counted before the schema walks them all
  if (Array.isArray(hops) && hops.length > MAX_PACKET_HOPS)
    fail(where, `${hops.length} hops, more than the ${MAX_PACKET_HOPS} a packet may have`);
  const r = PacketPathSchema.safeParse(raw);
  if (!r.success) fail(where, formatIssues('invalid packet', r.error.issues));
  checkImportedPacket(r.data, where, snaplen);
  return r.data;
}

/** The index's row `i` says what the packet itself says. */
function checkRow(
  x: RunIndexDoc,
  i: number,
  s: PacketSummary,
  caps: number,
  where: string,
  place: string,
): void {
  const drop = x.drop[i] ?? -1;
  const tuple = x.tuple[i] ?? -1;
  const rows: [string, unknown, unknown][] = [
    ['id', x.id[i], s.id],
    ['nhops', x.nhops[i], s.hops],
    ['first', x.first[i], s.first_ts_ns],
    ['dur', x.dur[i], s.duration_ns],
    ['ifch', x.ifch[i], s.if_changes],
    ['drop', drop === -1 ? null : (x.drops[drop] ?? drop), s.drop_reason],
    ['tuple', JSON.stringify(tuple === -1 ? null : (x.tuples[tuple] ?? tuple)), JSON.stringify(s.tuple)],
    ['last', x.functions[x.last[i] ?? -1], s.last_function],
    ['cap', x.cap?.[i] ?? 0, caps],
    ['flags', x.flags?.[i] ?? 0, packetFlags(s)],
    // columns older run files lack are not checked there (the verdict is checked once its clones were read)
    ...(x.place
      ? [['place', JSON.stringify(x.places?.[x.place[i] ?? -1] ?? null), place] as [string, unknown, unknown]]
      : []),
  ];
  for (const [column, index, packet] of rows)
    if (index !== packet)
      fail(where, `the index says ${column} ${JSON.stringify(index)}, the packet ${JSON.stringify(packet)}`);
}

/** Variant counts and first packets as the packets add them up (drops: `withDrops`). */
function tallyVariants(x: RunIndexDoc, packets: Iterable<[number, PacketPath]>, file: string): RunVariant[] {
  const tally = x.variants.map((v) => ({ ...v, count: 0, dropped: 0, firstPacket: -1 }));
  for (const [i, p] of packets) {
    const t = tally[x.variant[i] ?? -1];
    const where = `run file ${file}, packet ${i}`;
    if (!t || !Number.isInteger(x.variant[i])) return fail(where, 'its variant is not in the index');
    const fns = p.hops.map((h) => h.function);
    if (fns.length !== t.functions.length || fns.some((f, k) => f !== t.functions[k]))
      fail(where, `its hops are not the functions of variant ${x.variant[i]}`);
    t.count++;
    if (t.firstPacket < 0) t.firstPacket = p.id;
  }
  return tally;
}

/** The variants and the run's total with the packets flagged in `dropped` (one byte per packet) counted. */
function withDrops(
  x: RunIndexDoc,
  tally: RunVariant[],
  dropped: Uint8Array,
): { variants: RunVariant[]; total: number } {
  const variants = tally.map((v) => ({ ...v, dropped: 0 }));
  let total = 0;
  dropped.forEach((d, i) => {
    const v = variants[x.variant[i] ?? -1];
    if (!d || !v) return;
    total++;
    v.dropped++;
  });
  return { variants, total };
}

/** Every packet of an imported run file, checked against its index and the run's metadata. */
export function checkImportedRun(run: StoredRun, data: Buffer): void {
  const file = run.data;
  let x: RunIndexDoc;
  try {
    x = RunFile.check(data);
  } catch (e) {
    return fail(`run file ${file}`, (e as Error).message);
  }
  const dataStart = data.length - (x.offsets[x.count] ?? 0); // check() tied the last offset to the size
  const ids = new Set<number>();
  let hops = 0;
  // drops as a free's reason counts them (run files written before verdicts counted so) and as the verdict does
  const byReason = new Uint8Array(x.count);
  const byVerdict = new Uint8Array(x.count);
  // the verdict column says what explaining the packets in file order says (a packet's clones may follow it)
  const window = x.verdict ? new ExplainWindow(explainOptionsFor(run)) : undefined;
  const waiting: number[] = [];
  const checkVerdict = ({ packet }: ExplainedGroup) => {
    const i = waiting.shift() as number;
    const said = x.verdicts?.[x.verdict?.[i] ?? -1] ?? null;
    if (said !== (packet.verdict?.kind ?? null))
      fail(
        `run file ${file}, packet ${i}`,
        `the index says verdict ${JSON.stringify(said)}, the packets ${JSON.stringify(packet.verdict?.kind)}`,
      );
    byVerdict[i] = Number(isDropped(packet));
  };
  const packets = function* (): Generator<[number, PacketPath]> {
    for (let i = 0; i < x.count; i++) {
      const where = `run file ${file}, packet ${i}`;
      const line = data.subarray(dataStart + (x.offsets[i] ?? 0), dataStart + (x.offsets[i + 1] ?? 0));
      const p = readPacket(line, where, run.spec.capture?.snaplen);
      checkRow(x, i, summarizePacket(p, x.variant[i] ?? 0), capturesOf(p).length, where, placeOf(p).key);
      if (ids.has(p.id)) fail(where, `packet id ${p.id} appears twice`);
      ids.add(p.id);
      hops += p.hops.length;
      byReason[i] = Number(Boolean(p.drop_reason));
      if (!window) byVerdict[i] = byReason[i] ?? 0;
      if (window) {
        waiting.push(i);
        const out = window.push(p);
        if (out) checkVerdict(out);
      }
      yield [i, p];
    }
    for (const g of window?.drain() ?? []) checkVerdict(g);
  };
  const tally = tallyVariants(x, packets(), file);
  const verdicts = withDrops(x, tally, byVerdict);
  const reasons = withDrops(x, tally, byReason);
  const agrees = (c: typeof verdicts) =>
    variantsKey(c.variants) === variantsKey(x.variants) && c.total === x.dropped;
  const told = agrees(verdicts) || !agrees(reasons) ? verdicts : reasons;
  const totals: [string, unknown, unknown][] = [
    ['variants', variantsKey(x.variants), variantsKey(told.variants)],
    ['hops', x.hops, hops],
    ['dropped', x.dropped, told.total],
  ];
  for (const [what, index, packets] of totals)
    if (index !== packets) fail(`run file ${file}`, `the index's ${what} do not add up to its packets`);
  checkRunMeta(run, x);
}

/** The run's entry in session.json repeats the index's totals: they must agree. */
function checkRunMeta(run: StoredRun, x: RunIndexDoc): void {
  const meta: [string, unknown, unknown][] = [
    ['packets', run.packets, x.count],
    ['hops', run.hops, x.hops],
    ['dropped', run.dropped, x.dropped],
    ['firstTsNs', run.firstTsNs, x.first[0] ?? 0],
    ['variantCount', run.variantCount, x.variants.length],
    ['variants', variantsKey(run.variants), variantsKey(x.variants.slice(0, MAX_LISTED_VARIANTS))],
  ];
  for (const [what, stored, index] of meta)
    if (stored !== index) fail(`run ${run.id}`, `session.json and its run file disagree on ${what}`);
}
