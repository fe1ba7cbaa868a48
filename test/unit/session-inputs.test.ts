import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { PacketPath, RunInput } from '../../main/api/trace.js';
import { encodeRunFile } from '../../main/core/sessions/run-file.js';
import { decodeBundle, encodeBundle } from '../../main/core/sessions/session-bundle.js';
import { SessionStore } from '../../main/core/sessions/session-store.js';

/**
 * Session files at the edge (issue 8 items 13 and 14b): an imported file is checked whole before anything is
 * written, and a session that cannot be read is listed with its problem. The files are made by the real store
 * and exporter, then altered the way a hand-edited or hostile file would be.
 */

const root = mkdtempSync(join(tmpdir(), 'pktpath-inputs-sessions-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshHome = () => join(root, `h${n++}`);

function pktpath(home: string, args: string[]) {
  const r = spawnSync(process.execPath, ['bin/pktpath.mjs', ...args], {
    encoding: 'utf8',
    env: { ...process.env, PKTPATH_HOME: home },
    timeout: 60_000,
    killSignal: 'SIGKILL',
    maxBuffer: 2 ** 26,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const hop = (f: string, j: number) => ({
  function: f,
  ts_ns: 1000 + j * 2500,
  ifindex: 2,
  netns: 1,
  len: 84,
});
const capture = { ts_ns: 1000, function: 'ip_rcv', link: 'raw' as const, len: 84, data: 'RQAAVA==' };

function packet(id: number, fns: string[], extra: Record<string, unknown> = {}): PacketPath {
  return { id, drop_reason: null, hops: fns.map(hop), ...extra };
}

function run(packets: PacketPath[]): RunInput {
  return {
    id: 'r1',
    host: 'web1',
    spec: { host: 'web1', filter: 'icmp', capture: { snaplen: 64 } },
    mode: 'kprobe',
    startedAt: '2025-01-01T00:00:00.000Z',
    packets,
  };
}

const good = [
  packet(1, ['ip_rcv', 'icmp_rcv', 'consume_skb'], { captures: [capture] }),
  packet(2, ['ip_rcv', 'icmp_rcv', 'consume_skb']),
];

/** A session exported by the real store, as bundle entries to alter. */
function exported(packets: PacketPath[] = good): Map<string, Buffer> {
  const store = new SessionStore(freshHome());
  const s = store.create({ title: 'crafted', runs: [run(packets)] });
  const file = join(root, `export-${n++}.pktpath`);
  store.exportTo(s.id, file);
  return decodeBundle(readFileSync(file));
}

/** A version 3 run file's columns as docs/SESSION-FORMAT.md lists them ("Run files"): name and element type. */
const COLUMNS: [string, 'u32' | 'i32' | 'f64'][] = [
  ['id', 'u32'],
  ['nhops', 'u32'],
  ['first', 'f64'],
  ['dur', 'f64'],
  ['ifch', 'u32'],
  ['variant', 'u32'],
  ['drop', 'i32'],
  ['tuple', 'i32'],
  ['last', 'i32'],
  ['cap', 'u32'],
  ['flags', 'u32'],
  ['verdict', 'i32'],
  ['place', 'i32'],
  ['offsets', 'f64'],
];
const read = { u32: 'readUInt32LE', i32: 'readInt32LE', f64: 'readDoubleLE' } as const;
const write = { u32: 'writeUInt32LE', i32: 'writeInt32LE', f64: 'writeDoubleLE' } as const;
const width = (t: 'u32' | 'i32' | 'f64') => (t === 'f64' ? 8 : 4);

/** A run file's index (its JSON, and its binary columns as plain arrays) and packet lines, and back. */
function splitRun(buf: Buffer): { index: Record<string, unknown[]>; lines: Buffer } {
  expect(buf.subarray(0, 14).toString('latin1')).toBe('pktpath-run 3 ');
  const length = Number(buf.subarray(14, 26).toString('latin1'));
  const index = JSON.parse(buf.subarray(27, 27 + length).toString('utf8')) as Record<string, unknown[]>;
  const count = index.count as unknown as number;
  let at = 27 + length;
  for (const [name, type] of COLUMNS) {
    const n = name === 'offsets' ? count + 1 : count;
    index[name] = Array.from({ length: n }, (_, i) => buf[read[type]](at + i * width(type)));
    at += n * width(type);
  }
  return { index, lines: buf.subarray(at) };
}
function joinRun(index: Record<string, unknown[]>, lines: Buffer): Buffer {
  const meta = Object.fromEntries(Object.entries(index).filter(([k]) => !COLUMNS.some(([c]) => c === k)));
  const json = Buffer.from(JSON.stringify(meta), 'utf8');
  const columns = COLUMNS.map(([name, type]) => {
    const values = index[name] as number[];
    const b = Buffer.alloc(values.length * width(type));
    values.forEach((v, i) => b[write[type]](v, i * width(type)));
    return b;
  });
  return Buffer.concat([
    Buffer.from(`pktpath-run 3 ${String(json.length).padStart(12, '0')}\n`),
    json,
    ...columns,
    lines,
  ]);
}

function runEntry(entries: Map<string, Buffer>): string {
  const name = [...entries.keys()].find((k) => k.endsWith('.run'));
  if (!name) throw new Error('no run file in the bundle');
  return name;
}

/** Writes the altered bundle and imports it with the CLI into a fresh data dir. */
function importAltered(entries: Map<string, Buffer>) {
  const file = join(root, `crafted-${n++}.pktpath`);
  writeFileSync(file, encodeBundle([...entries].map(([name, data]) => ({ name, data }))));
  const home = freshHome();
  return { ...pktpath(home, ['sessions', 'import', file]), home, file };
}

describe('sessions import', { timeout: 120_000 }, () => {
  it('imports an untouched export (the baseline the refusals below differ from)', () => {
    const r = importAltered(exported());
    expect(r).toMatchObject({ code: 0, out: 'crafted\n', err: '' });
  });

  it('refuses a run index that disagrees with its packets, and writes nothing', () => {
    const cases: [string, (x: Record<string, unknown[]>) => void, RegExp][] = [
      ['negative first-hop time', (x) => void (x.first![1] = -7), /index says first -7, the packet 1000/],
      ['wrong hop count', (x) => void (x.nhops![0] = 9), /index says nhops 9, the packet 3/],
      ['drop index out of its table', (x) => void (x.drop![0] = -5), /index says drop -5, the packet null/],
      ['packet ids swapped', (x) => void (x.id = [2, 1]), /index says id 2, the packet 1/],
      ['cap column lying', (x) => void (x.cap = [0, 0]), /index says cap 0, the packet 1/],
    ];
    for (const [what, alter, message] of cases) {
      const entries = exported();
      const name = runEntry(entries);
      const { index, lines } = splitRun(entries.get(name)!);
      alter(index);
      entries.set(name, joinRun(index, lines));
      const r = importAltered(entries);
      expect(r.code, what).toBe(1);
      expect(r.err, what).toMatch(
        new RegExp(`^pktpath: cannot import ${r.file}: run file ${name}, packet \\d: `),
      );
      expect(r.err, what).toMatch(message);
      // Nothing but the core's own (empty) directories: no session, no run file, no partial import.
      expect(
        readdirSync(r.home, { recursive: true }).filter((f) => f !== 'sessions' && f !== 'runs'),
        what,
      ).toEqual([]);
      expect(pktpath(r.home, ['sessions', 'list', '--json']).out, what).toBe('[]\n');
    }
  });

  it('refuses metadata whose totals disagree with the run file', () => {
    const entries = exported();
    const meta = JSON.parse(entries.get('session.json')!.toString('utf8')) as { runs: { hops: number }[] };
    meta.runs[0]!.hops = 99;
    entries.set('session.json', Buffer.from(JSON.stringify(meta)));
    const r = importAltered(entries);
    expect(r).toMatchObject({
      code: 1,
      err: `pktpath: cannot import ${r.file}: run r1: session.json and its run file disagree on hops\n`,
    });
  });

  it('refuses captured bytes that are not what pktpath writes', () => {
    const bad: [string, unknown, RegExp][] = [
      [
        'data not a string',
        [{ ...capture, data: 12345 }],
        /captures: \[0\]\.data: Invalid input: expected string/,
      ],
      ['negative length', [{ ...capture, len: -1 }], /captures: \[0\]\.len/],
      ['not base64', [{ ...capture, data: '!!!!' }], /capture 1 is not base64/],
      [
        'over the snaplen',
        [{ ...capture, data: Buffer.alloc(200).toString('base64') }],
        /200 bytes, more than/,
      ],
    ];
    for (const [what, captures, message] of bad) {
      // a consistent index (the real encoder's), so only the captures are wrong
      const entries = exported();
      const name = runEntry(entries);
      entries.set(
        name,
        encodeRunFile(
          [
            packet(
              1,
              good[0]!.hops.map((h) => h.function),
              { captures },
            ),
            good[1]!,
          ],
          { reasonsKnown: true },
        ).data,
      );
      const r = importAltered(entries);
      expect(r.code, what).toBe(1);
      expect(r.err, what).toMatch(message);
    }
  });

  it('checks the packets of a version 1 session file the same way', () => {
    const at = '2025-01-01T00:00:00.000Z';
    const bytes = [{ ...capture, data: '!!!!' }];
    const doc = {
      format: 'pktpath-session',
      version: 1,
      id: 'old',
      title: 'old',
      createdAt: at,
      updatedAt: at,
    };
    const file = join(root, `v1-${n++}.json`);
    writeFileSync(
      file,
      JSON.stringify({ ...doc, runs: [run([packet(1, ['ip_rcv'], { captures: bytes })])] }),
    );
    const r = pktpath(freshHome(), ['sessions', 'import', file]);
    expect(r).toMatchObject({
      code: 1,
      err: `pktpath: cannot import ${file}: run r1, packet 0: capture 1 is not base64\n`,
    });
  });

  it('refuses a packet with more hops than a packet may have, before reading them', () => {
    // an otherwise valid run file whose first packet line lists 1,000,001 hops (offsets moved to match)
    const entries = exported();
    const name = runEntry(entries);
    const { index, lines } = splitRun(entries.get(name)!);
    const end = lines.indexOf(0x0a) + 1;
    const huge = Buffer.from(`{"id":1,"hops":[${'0,'.repeat(1_000_000)}0],"drop_reason":null}\n`);
    const grow = huge.length - end;
    index.offsets = index.offsets!.map((o, i) => (i === 0 ? o : (o as number) + grow));
    entries.set(name, joinRun(index, Buffer.concat([huge, lines.subarray(end)])));
    const r = importAltered(entries);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/packet 0: 1000001 hops, more than the 1000000 a packet may have\n$/);
  });
});

describe('sessions list and export of damaged sessions', { timeout: 120_000 }, () => {
  it('lists a session that cannot be read, with its problem, and leaves it alone', () => {
    const home = freshHome();
    const store = new SessionStore(home);
    store.create({ title: 'fine', runs: [run(good)] });
    const broken = store.create({ title: 'broken', runs: [run(good)] });
    const file = join(home, 'sessions', broken.id, 'session.json');
    writeFileSync(file, '{"format": "pktpath-session", "version": 2, "id": ');
    const text = pktpath(home, ['sessions', 'list']);
    expect(text.code).toBe(0);
    expect(text.out).toMatch(/^fine +\S+ {2}1 runs {2}2 packets {2}web1 {2}fine$/m);
    expect(text.out).toMatch(
      new RegExp(
        `^broken +\\S+ {2}UNREADABLE \\(corrupt-file\\): ${file} is corrupt \\(not JSON: .*\\)$`,
        'm',
      ),
    );
    const json = JSON.parse(pktpath(home, ['sessions', 'list', '--json']).out) as {
      id: string;
      problem?: { code: string; message: string };
    }[];
    expect(json.find((s) => s.id === 'broken')?.problem).toMatchObject({ code: 'corrupt-file' });
    expect(json.find((s) => s.id === 'fine')?.problem).toBeUndefined();
    expect(readFileSync(file, 'utf8')).toBe('{"format": "pktpath-session", "version": 2, "id": ');
  });

  it('reports bad captured bytes of a stored session as a typed error, not a crash', () => {
    const home = freshHome();
    const s = new SessionStore(home).create({
      title: 'bad bytes',
      runs: [run([packet(1, ['ip_rcv'], { captures: [{ ...capture, data: 12345 }] })])],
    });
    const r = pktpath(home, ['sessions', 'export', s.id, join(root, `out-${n++}.pcapng`)]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(
      /^pktpath: packet 1 of run r1: captures: \[0\]\.data: Invalid input: expected string, received number\n$/,
    );
  });
});
