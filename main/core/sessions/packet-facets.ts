import { placesOf, type FactNeeds, type PacketFacts } from '../../api/display-filter/index.js';
import { PACKET_FLAGS, streamRunPackets, type RunFile } from './run-file.js';
import { verdictKindAt } from './run-verdicts.js';

/**
 * Per-packet places (interfaces, namespaces) an older run file's index lacks, read in one streaming pass over its
 * packets the first time a display filter names them, then kept per open run. Values are interned: a run's packets
 * pass few distinct sets of interfaces. (Verdicts come from the run's one verdict source, run-verdicts.ts.)
 */
interface Facets {
  ifaces: string[][];
  netns: string[][];
  /** Per packet: index into ifaces / netns. */
  place: Int32Array;
  placeNs: Int32Array;
}

const facetsOf = new WeakMap<RunFile, Facets>();

function readFacets(run: RunFile): Facets {
  const f: Facets = {
    ifaces: [],
    netns: [],
    place: new Int32Array(run.count),
    placeNs: new Int32Array(run.count),
  };
  const ifIx = new Map<string, number>();
  const nsIx = new Map<string, number>();
  const intern = (table: string[][], ix: Map<string, number>, v: string[]) => {
    const key = v.join('\n');
    let i = ix.get(key);
    if (i === undefined) ix.set(key, (i = table.push(v) - 1));
    return i;
  };
  let i = 0;
  for (const p of streamRunPackets(run.path)) {
    if (i >= run.count) break;
    const { ifaces, netns } = placesOf(p.hops);
    f.place[i] = intern(f.ifaces, ifIx, ifaces);
    f.placeNs[i] = intern(f.netns, nsIx, netns);
    i++;
  }
  return f;
}

/** The facets of a run file whose index has the `place` column (views on it, no copy). */
function indexFacets(run: RunFile, place: Int32Array): Facets {
  const places = run.index.places ?? [];
  return { ifaces: places.map((p) => p.ifaces), netns: places.map((p) => p.netns), place, placeNs: place };
}

/**
 * Facts of the i-th packet for a display filter, filled into one reused object (100k packets, no garbage). Only
 * what `needs` asks for costs the pass over the packets. `verdicts`: the run's verdict column (run-verdicts.ts).
 */
export function factsReader(
  run: RunFile,
  needs: FactNeeds,
  verdicts: () => Uint8Array,
): (i: number) => PacketFacts {
  const x = run.index;
  let facets: Facets | undefined;
  if (needs.places) {
    facets = facetsOf.get(run);
    // run files written since they had it carry a `place` column: no pass over the packets
    if (!facets) facetsOf.set(run, (facets = x.place ? indexFacets(run, x.place) : readFacets(run)));
  }
  const kinds = needs.verdict ? verdicts() : undefined;
  const t0 = x.first[0] ?? 0;
  const f: PacketFacts = {
    id: 0,
    tuple: null,
    functions: [],
    drop_reason: null,
    verdict: undefined,
    ifaces: [],
    netns: [],
    duration_ns: 0,
    hops: 0,
    time_ns: 0,
    cut: false,
    partial: false,
    variant: 0,
  };
  return (i) => {
    const drop = x.drop[i] ?? -1;
    const tuple = x.tuple[i] ?? -1;
    const flags = x.flags?.[i] ?? 0;
    f.id = x.id[i] ?? 0;
    f.tuple = tuple < 0 ? null : (x.tuples[tuple] ?? null);
    f.variant = x.variant[i] ?? 0;
    f.functions = x.variants[f.variant]?.functions ?? [];
    f.drop_reason = drop < 0 ? null : (x.drops[drop] ?? null);
    f.duration_ns = x.dur[i] ?? 0;
    f.hops = x.nhops[i] ?? 0;
    f.time_ns = (x.first[i] ?? 0) - t0;
    f.cut = (flags & PACKET_FLAGS.cut) !== 0;
    f.partial = (flags & PACKET_FLAGS.partial) !== 0;
    f.verdict = kinds ? verdictKindAt(kinds, i) : undefined;
    f.ifaces = facets ? (facets.ifaces[facets.place[i] ?? 0] ?? []) : [];
    f.netns = facets ? (facets.netns[facets.placeNs[i] ?? 0] ?? []) : [];
    return f;
  };
}
