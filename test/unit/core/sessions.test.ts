import { spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunInput } from '../../../main/api/trace.js';
import { CorruptFileError } from '../../../main/core/errors.js';
import { PacketQuerySchema } from '../../../main/api/packets.js';
import { sessionVersionOf } from '../../../main/core/sessions/migrate-session.js';
import { SessionStore } from '../../../main/core/sessions/session-store.js';

const root = mkdtempSync(join(tmpdir(), 'pktpath-sessions-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = () => new SessionStore(join(root, `h${n++}`));

function run(id: string, host: string, paths: string[][]): RunInput {
  return {
    id,
    host,
    spec: { host, filter: 'icmp' },
    mode: 'kprobe',
    startedAt: '2025-01-01T00:00:00.000Z',
    packets: paths.map((fns, i) => ({
      id: i + 1,
      drop_reason: fns.at(-1) === 'sk_skb_reason_drop' ? 'NETFILTER_DROP' : null,
      hops: fns.map((f, j) => ({
        function: f,
        ts_ns: 1000 + j * 2500,
        ifindex: 2,
        netns: 4026531840,
        len: 84,
      })),
    })),
  };
}

describe('session store', () => {
  it('creates, lists, renames, annotates, exports and re-imports a session', () => {
    const s = fresh();
    const created = s.create({
      title: 'Ping drops | on web1',
      hosts: [{ name: 'web1', address: '10.0.0.5', kernelRelease: '6.12.0' }],
      runs: [
        run('r1', 'web1', [
          ['ip_rcv', 'icmp_rcv', 'consume_skb'],
          ['ip_rcv', 'icmp_rcv', 'consume_skb'],
          ['ip_rcv', 'nf_hook_slow', 'sk_skb_reason_drop'],
        ]),
      ],
    });
    expect(created.id).toBe('ping-drops-on-web1');
    expect(s.create({ title: 'Ping drops | on web1' }).id).toMatch(/^ping-drops-on-web1-[0-9a-f]{6}$/);
    expect(s.list().sessions.find((x) => x.id === created.id)).toMatchObject({
      runs: 1,
      packets: 3,
      hosts: ['web1'],
    });
    s.rename(created.id, 'Renamed');
    const note = s.annotate(created.id, { runId: 'r1', packetId: 3, hopIndex: 1, text: 'the nft rule' });
    expect(() => s.annotate(created.id, { runId: 'nope', text: 'x' })).toThrow(/has no run nope/);
    const got = s.get(created.id);
    expect(got.title).toBe('Renamed');
    expect(got.annotations).toEqual([note]);

    const file = join(root, 'export.pktpath');
    s.exportTo(created.id, file);
    const other = fresh();
    const imported = other.importFrom(file);
    expect(imported).toEqual(got);
    expect(other.importFrom(file).id).not.toBe(imported.id); // clash → fresh id, nothing overwritten

    const md = join(root, 'report.md');
    s.exportTo(created.id, md, 'markdown');
    const text = readFileSync(md, 'utf8');
    expect(text).toContain('# Renamed');
    expect(text).toContain('| web1 | 10.0.0.5 | 6.12.0 |');
    expect(text).toContain('### Path 1: 2 packets');
    expect(text).toContain('### Path 2: 1 packet — 1 dropped (NETFILTER_DROP)');
    expect(text).toContain('| 1 | `icmp_rcv` | 2.5 | 2 | 84 |');
    expect(text).toContain('- (run r1, packet 3, hop 1) the nft rule');
    s.delete(created.id);
    expect(() => s.get(created.id)).toThrow(/no session/);
  });

  it('moves a corrupt session aside on open and lists it as a problem', () => {
    const s = fresh();
    const { id } = s.create({ title: 'x' });
    const file = join(s.dir, id, 'session.json');
    writeFileSync(file, readFileSync(file, 'utf8').replace('"runs": []', '"runs": [{"id": 1}]'));
    expect(s.list().sessions[0]?.problem?.message).toMatch(/runs\[0\]\.id/);
    const err = (() => {
      try {
        s.get(id);
      } catch (e) {
        return e;
      }
    })() as CorruptFileError;
    expect(err).toBeInstanceOf(CorruptFileError);
    expect(existsSync(join(err.movedTo!, 'session.json'))).toBe(true); // the whole session dir, kept aside
    expect(existsSync(file)).toBe(false);
    expect(s.list()).toEqual({ sessions: [] });
  });

  it('refuses other formats and newer versions with a clear message', () => {
    expect(() => sessionVersionOf([])).toThrow(/not a JSON object/);
    expect(() => sessionVersionOf({ format: 'pcapng' })).toThrow(/format is "pcapng"/);
    expect(() => sessionVersionOf({ format: 'pktpath-session', version: 99 })).toThrow(
      /version 99 is newer than this pktpath reads \(2\)/,
    );
    expect(() => sessionVersionOf({ format: 'pktpath-session' })).toThrow(/no valid version/);
    const s = fresh();
    const f = join(root, 'future.json');
    writeFileSync(f, JSON.stringify({ format: 'pktpath-session', version: 3 }));
    expect(() => s.importFrom(f)).toThrow(/cannot import .*upgrade pktpath/);
    // A newer session in the data dir is refused but left where it is.
    mkdirSync(join(s.dir, 'later'), { recursive: true });
    writeFileSync(
      join(s.dir, 'later', 'session.json'),
      JSON.stringify({ format: 'pktpath-session', version: 3 }),
    );
    expect(() => s.get('later')).toThrow(/upgrade pktpath/);
    expect(existsSync(join(s.dir, 'later', 'session.json'))).toBe(true);
  });

  it('leaves the previous session intact when the saving process is killed mid-save', async () => {
    const home = join(root, 'crash');
    const store = new SessionStore(home);
    const base = store.create({ title: 'crash test' });
    // A child that appends a run of one 80,000-hop packet per save (a new ~8 MB run file, then session.json),
    // announcing each save; we SIGKILL it at a random instant inside a save, once per round.
    const child = join(root, 'saver.ts');
    writeFileSync(
      child,
      `import { SessionStore } from ${JSON.stringify(resolve('main/core/sessions/session-store.ts'))};
const store = new SessionStore(${JSON.stringify(home)});
const id = ${JSON.stringify(base.id)};
const hops = Array.from({ length: 80000 }, (_, i) => ({ function: 'fn_' + i, ts_ns: i, ifindex: 1, netns: 1, len: 60 }));
for (let v = store.get(id).runs.length + 1; ; v++) {
  const t0 = performance.now();
  store.addRuns(id, [{ id: 'r' + v, host: 'h', spec: { host: 'h' }, mode: 'kprobe', startedAt: new Date().toISOString(), packets: [{ id: v, drop_reason: null, hops }] }]);
  process.stdout.write('saved ' + v + ' ' + (performance.now() - t0).toFixed(1) + '\\n');
}
`,
    );
    const seen = new Set<number>([0]);
    for (let round = 0; round < 8; round++) {
      const p = spawn(process.execPath, ['--import', 'tsx', child], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      p.stdout.on('data', (d: Buffer) => (out += d.toString()));
      while (!/saved \d+ [\d.]+\n/.test(out) && p.exitCode === null)
        await new Promise((r) => setTimeout(r, 5));
      const saveMs = Number(/saved \d+ ([\d.]+)/.exec(out)?.[1] ?? 20);
      const lines = out.length;
      while (out.length === lines && p.exitCode === null) await new Promise((r) => setImmediate(r)); // a save just ended
      await new Promise((r) => setTimeout(r, Math.random() * saveMs));
      p.kill('SIGKILL');
      await new Promise((r) => p.once('close', r));
      const saved = [...out.matchAll(/saved (\d+)/g)].map((m) => Number(m[1]));
      for (const v of saved) seen.add(v);
      // The killed save may have completed its rename without getting to report it: that version is fine too.
      seen.add(Math.max(0, ...saved) + 1);
      const now = store.get(base.id); // parses and validates, or throws CorruptFileError
      expect(seen.has(now.runs.length)).toBe(true);
      // Every run the surviving metadata names is whole: its last packet reads back with all its hops.
      const last = now.runs.at(-1);
      if (last) expect(store.packet(base.id, last.id).hops).toHaveLength(80000);
    }
    expect(seen.size).toBeGreaterThan(2);
  }, 120_000);
});

describe('session format version 2: paging, lazy packets, migration, export', () => {
  const paths = Array.from({ length: 500 }, (_, i) =>
    i % 10 === 3
      ? ['ip_rcv', 'nf_hook_slow', 'sk_skb_reason_drop']
      : i % 2
        ? ['ip_rcv', 'icmp_rcv', 'consume_skb']
        : ['ip_rcv', 'consume_skb'],
  );
  const big = run('big', 'web1', paths);
  // Durations that differ per packet, so sorting by duration has one right answer.
  big.packets!.forEach((p, i) => p.hops.forEach((h, j) => (h.ts_ns = 1e6 * i + j * ((i * 7919) % 1000))));
  const q = (over: object = {}) => PacketQuerySchema.parse(over);

  it('stores metadata apart from packets, with totals and variants', () => {
    const s = fresh();
    const created = s.create({ title: 'paging', runs: [big] });
    const r = s.get(created.id).runs[0]!;
    expect(r).toMatchObject({ packets: 500, dropped: 50, hops: 50 * 3 + 200 * 3 + 250 * 2, variantCount: 3 });
    expect(r.variants.map((v) => [v.functions.at(-1), v.count, v.dropped, v.firstPacket])).toEqual([
      ['consume_skb', 250, 0, 1],
      ['consume_skb', 200, 0, 2],
      ['sk_skb_reason_drop', 50, 50, 4],
    ]);
    expect('packets' in r && typeof r.packets).toBe('number');
    const meta = readFileSync(join(s.dir, created.id, 'session.json'), 'utf8');
    expect(meta).not.toContain('ts_ns'); // no packet in the metadata
    expect(meta.length).toBeLessThan(4000);
  });

  it('pages packet summaries: slices, filters, sorts', () => {
    const s = fresh();
    const { id } = s.create({ title: 'paging', runs: [big] });
    const page = s.packets(id, undefined, q({ offset: 100, limit: 3 }));
    expect(page.total).toBe(500);
    expect(page.offset).toBe(100);
    expect(page.packets.map((p) => p.id)).toEqual([101, 102, 103]);
    expect(page.packets[0]).toEqual({
      id: 101,
      hops: 2,
      first_ts_ns: 100e6,
      duration_ns: (100 * 7919) % 1000,
      tuple: null,
      drop_reason: null,
      if_changes: 0,
      last_function: 'consume_skb',
      variant: 0,
      first_function: 'ip_rcv',
      verdict: 'delivered', // explain's, as on every face
    });
    expect(s.packets(id, 'big', q({ offset: 498, limit: 10 })).packets.map((p) => p.id)).toEqual([499, 500]);
    expect(s.packets(id, '1', q({ offset: 600 })).packets).toEqual([]);

    const dropped = s.packets(id, undefined, q({ filter: { dropped: true }, limit: 2000 }));
    expect(dropped.total).toBe(50);
    expect(dropped.packets.every((p) => p.drop_reason === 'NETFILTER_DROP' && p.variant === 2)).toBe(true);
    expect(dropped.packets.map((p) => p.id).slice(0, 3)).toEqual([4, 14, 24]);
    const v1 = s.packets(id, undefined, q({ filter: { variant: 1 }, offset: 10, limit: 2 }));
    expect(v1).toMatchObject({ total: 200, offset: 10 });
    expect(v1.packets.map((p) => p.id)).toEqual([28, 30]); // variant 1 = even ids except every 10th from 4

    const all = s.packets(id, undefined, q({ limit: 2000 })).packets;
    const byDur = s.packets(id, undefined, q({ sort: 'duration', desc: true, limit: 5 })).packets;
    const expected = [...all].sort((a, b) => b.duration_ns - a.duration_ns || a.id - b.id).slice(0, 5);
    expect(byDur.map((p) => p.id)).toEqual(expected.map((p) => p.id));
    expect(s.packets(id, undefined, q({ desc: true, limit: 1 })).packets[0]!.id).toBe(500);
  });

  it('reads one packet with its hops, by id, and names what is missing', () => {
    const s = fresh();
    // sessions.packet adds what the core computes on read (verdict, diagnosis) to the packet as stored
    const { id } = s.create({ title: 'one', runs: [big, run('empty', 'web1', [])] });
    // the record as saved, explained on read: its drop reason names no hop, yet it reads dropped, never delivered
    expect(s.packet(id, undefined, 4)).toMatchObject({
      ...big.packets![3],
      verdict: { kind: 'dropped', summary: 'dropped at sk_skb_reason_drop (NETFILTER_DROP)' },
    });
    expect(s.packet(id, 'big')).toMatchObject(big.packets![0]!);
    expect(() => s.packet(id, 'big', 9999)).toThrow('run big of session one has no packet 9999');
    expect(() => s.packet(id, '2')).toThrow('run empty of session one has no packets');
    expect(() => s.packet(id, 'nope')).toThrow('session one has no run nope (it has 2)');
  });

  it('reports a damaged run file as corrupt while the session still opens', () => {
    const s = fresh();
    const { id } = s.create({ title: 'damaged', runs: [big] });
    const file = readdirSync(join(s.dir, id)).find((n) => n.endsWith('.run'))!;
    truncateSync(join(s.dir, id, file), 5000);
    expect(s.get(id).runs[0]!.packets).toBe(500);
    expect(() => s.packets(id, undefined, q())).toThrow(
      /damaged\/big-[0-9a-f]{8}\.run is corrupt \(index cut short\)/,
    );
  });

  it('upgrades a version 1 session file in the data dir, and imports a version 1 export', () => {
    const s = fresh();
    const v1 = {
      format: 'pktpath-session',
      version: 1,
      id: 'old-one',
      title: 'Old one',
      notes: 'from v1',
      createdAt: '2025-01-01T00:00:00.000Z',
      updatedAt: '2025-01-02T00:00:00.000Z',
      hosts: [{ name: 'web1', address: '10.0.0.5' }],
      runs: [big],
      annotations: [{ id: 'a1', at: '2025-01-02T00:00:00.000Z', runId: 'big', text: 'look' }],
    };
    mkdirSync(s.dir, { recursive: true });
    writeFileSync(join(s.dir, 'old-one.session.json'), JSON.stringify(v1));
    expect(s.list().sessions).toEqual([
      { id: 'old-one', title: 'Old one', updatedAt: v1.updatedAt, hosts: ['web1'], runs: 1, packets: 500 },
    ]);
    expect(existsSync(join(s.dir, 'old-one.session.json'))).toBe(false); // rewritten as a v2 dir
    const got = s.get('old-one');
    expect(got).toMatchObject({ version: 2, notes: 'from v1', annotations: v1.annotations });
    expect(s.packet('old-one', undefined, 500)).toMatchObject({
      ...big.packets![499],
      verdict: { kind: 'delivered' },
    });

    const file = join(root, 'v1-export.json');
    writeFileSync(file, JSON.stringify(v1));
    const imported = s.importFrom(file);
    expect(imported.id).toMatch(/^old-one-[0-9a-f]{6}$/);
    expect(s.packets(imported.id, undefined, q({ limit: 2000 }))).toEqual(
      s.packets('old-one', undefined, q({ limit: 2000 })),
    );
  });

  it('exports one file that imports whole elsewhere, and refuses a tampered one', () => {
    const s = fresh();
    const { id } = s.create({ title: 'bundle', runs: [big, run('r2', 'web2', [['a', 'b']])] });
    const file = join(root, 'bundle.pktpath');
    const { bytes } = s.exportTo(id, file);
    expect(readFileSync(file).length).toBe(bytes);
    expect(readFileSync(file, 'latin1').startsWith('pktpath-bundle 1\n')).toBe(true);
    const other = fresh();
    const back = other.importFrom(file);
    expect(back).toEqual(s.get(id));
    expect(other.packet(id, 'r2')).toEqual(s.packet(id, 'r2'));

    const buf = readFileSync(file);
    writeFileSync(join(root, 'cut.pktpath'), buf.subarray(0, buf.length - 10));
    expect(() => fresh().importFrom(join(root, 'cut.pktpath'))).toThrow(/cannot import .*cut short inside/);
    const meta = JSON.stringify({ ...s.get(id), runs: [] });
    writeFileSync(join(root, 'meta-only.json'), meta);
    expect(() => fresh().importFrom(join(root, 'meta-only.json'))).toThrow(
      /metadata of a session without its packets/,
    );
  });

  it('the report over the API matches the Markdown export', () => {
    const s = fresh();
    const { id } = s.create({ title: 'report', runs: [big] });
    const md = join(root, 'r.md');
    s.exportTo(id, md, 'markdown');
    const report = s.report(id);
    expect(readFileSync(md, 'utf8')).toBe(report);
    expect(report).toContain('### Path 3: 50 packets — 50 dropped (NETFILTER_DROP)');
    expect(report).toMatch(/Packet 4 \(packets 4, 14, 24, 34, 44, 54, 64, 74, 84, 94, …\): dropped at /);
  });
});
