import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { methods } from '../../../main/api/contract.js';
import { fleetGroups } from '../../../main/core/flows/fleet-groups.js';
import { flowsOfRuns } from '../../../main/core/flows/run-flows.js';
import { createCore, type CoreService } from '../../../main/core/service/create-core.js';
import { SessionStore } from '../../../main/core/sessions/session-store.js';
import { pingSessionRuns, RX, TX } from './fixtures/flow-runs.js';

// `sessions.flows` on a real data dir through the core's method table (request and response validated by the
// contract): a saved two-host ping stitched as `pktpath trace vm61 vm612` stitches it live.
let home: string;
let core: CoreService;
beforeEach(async () => {
  home = mkdtempSync(join(tmpdir(), 'pktpath-flows-'));
  core = await createCore({ home, knownHostsFiles: [] });
});
afterEach(async () => {
  await core.close();
  rmSync(home, { recursive: true, force: true });
});

const save = (runs: ReturnType<typeof pingSessionRuns>) =>
  new SessionStore(home).create({ title: 'ping', runs }).id;
const path = (f: { segments: { host: string }[] }) => f.segments.map((s) => s.host).join(' → ');

describe('sessions.flows', () => {
  it('stitches a saved group into one flow per packet each way, in time order, the same as live stitching', async () => {
    const runs = pingSessionRuns({ group: 'g1' });
    const id = save(runs);
    const r = await core.call('sessions.flows', { id });
    expect(r.group).toBe('g1');
    expect(r.runs).toEqual([
      { host: 'vm61', run: 'run-a', packets: 6 },
      { host: 'vm612', run: 'run-b', packets: 6 },
    ]);
    expect(r.total).toBe(6);
    expect(r.flows.map(path)).toEqual([
      'vm61 → vm612',
      'vm612 → vm61',
      'vm61 → vm612',
      'vm612 → vm61',
      'vm61 → vm612',
      'vm612 → vm61',
    ]);
    const f = r.flows[0]!;
    expect(f.segments.map((s) => s.packet_id)).toEqual([1, 1]);
    expect(f.matched_on).toBe('icmp type/seq + IP ID');
    // vm612 runs 5 s ahead; the wire was 300 µs (plus the 1 µs after the transmit hop)
    expect(Math.abs(f.clock_offset_ns - 5e9)).toBeLessThan(1e6);
    expect(f.segments[1]!.gap_ns).toBeGreaterThan(0);
    expect(f.segments[1]!.gap_ns).toBeLessThan(1e6);
    // saved packets are explained before stitching: the request ends delivered to ICMP on vm612
    expect(f.segments[1]!.verdict).toBe('delivered');
    expect(f.fate).toBe('delivered');
    // the same segments as stitching the runs as they were traced
    const live = flowsOfRuns(
      runs.map((x) => ({ host: x.host, events: x.events ?? [], packets: x.packets ?? [] })),
    );
    expect(r.flows.map((x) => x.segments.map((s) => [s.host, s.packet_id]))).toEqual(
      live.map((x) => x.segments.map((s) => [s.host, s.packet_id])),
    );
  });

  it('marks a reply that left vm612 and never reached vm61 as lost, with the headline naming the interface', async () => {
    const id = save(pingSessionRuns({ group: 'g1', replyLost: true }));
    const r = await core.call('sessions.flows', { id });
    const lost = r.flows.filter((f) => f.fate === 'lost');
    expect(lost.map(path)).toEqual(['vm612', 'vm612', 'vm612']);
    for (const f of lost)
      expect(f.headline).toMatch(
        /^left vm612 on l-vm61 at \d\d:\d\d:\d\d\.\d{6} UTC, not seen on vm61 \(lost on the wire or before the first probe on vm61\)$/,
      );
    expect(r.flows.filter((f) => f.fate !== 'lost').map(path)).toEqual(Array(3).fill('vm61 → vm612'));
  });

  it('ends a flow dropped on vm612 with fate dropped and the drop in its headline', async () => {
    const id = save(pingSessionRuns({ group: 'g1', dropOnB: true, count: 2 }));
    const r = await core.call('sessions.flows', { id });
    expect(r.flows.map((f) => [path(f), f.fate])).toEqual([
      ['vm61 → vm612', 'dropped'],
      ['vm61 → vm612', 'dropped'],
    ]);
    expect(r.flows[0]!.headline).toMatch(/^vm61 → vm612: dropped on vm612 at \S+ \(NETFILTER_DROP\)$/);
  });

  it('picks the largest group, takes a named one, refuses two runs of one host, and honours limit', async () => {
    const store = new SessionStore(home);
    const id = store.create({ title: 'two groups', runs: pingSessionRuns({ group: 'big' }) }).id;
    const [lone] = pingSessionRuns({ group: 'small', ids: ['run-c', 'run-d'] });
    store.addRuns(id, [lone!]);
    expect((await core.call('sessions.flows', { id })).group).toBe('big');
    const small = await core.call('sessions.flows', { id, group: 'small' });
    expect(small.runs.map((x) => x.run)).toEqual(['run-c']);
    expect(small.flows.every((f) => f.segments.length === 1)).toBe(true);
    await expect(core.call('sessions.flows', { id, group: 'nope' })).rejects.toMatchObject({
      code: 'not-found',
    });
    const limited = await core.call('sessions.flows', { id, limit: 2 });
    expect([limited.total, limited.flows.length]).toEqual([6, 2]);
    const ungrouped = save([...pingSessionRuns(), ...pingSessionRuns({ ids: ['run-e', 'run-f'] })]);
    await expect(core.call('sessions.flows', { id: ungrouped })).rejects.toMatchObject({
      code: 'invalid-request',
      message: expect.stringContaining('more than one run on vm61'),
    });
    expect(methods['sessions.flows'].request.safeParse({ id, limit: 0 }).success).toBe(false);
  });

  it('groups the hosts by the path their packets took (the fleet summary)', async () => {
    const id = save(pingSessionRuns({ group: 'g1' }));
    const { fleet } = await core.call('sessions.flows', { id });
    // both hosts see as many requests as replies: on each the first-seen variant of the two wins the tie
    expect(fleet.map((g) => g.runs.map((x) => x.host))).toEqual([['vm61'], ['vm612']]);
    expect(fleet[0]!.functions).toEqual(TX);
    expect(fleet[1]!.functions).toEqual(RX);
  });
});

describe('fleetGroups', () => {
  const v = (functions: string[], count: number, extra: object = {}) => ({
    functions,
    count,
    dropped: 0,
    firstPacket: count,
    ...extra,
  });
  it('puts hosts whose dominant complete path is the same in one group, most hosts first', () => {
    const groups = fleetGroups([
      { host: 'a', id: 'ra', variants: [v(RX, 9)] },
      { host: 'b', id: 'rb', variants: [v(['x'], 50, { partial: true }), v(TX, 3)] },
      { host: 'c', id: 'rc', variants: [v(TX, 5), v(RX, 1)] },
      { host: 'd', id: 'rd', variants: [] },
      { host: 'e', id: 're', variants: [v(TX, 2, { verdict: 'dropped', drop_reason: 'NETFILTER_DROP' })] },
    ]);
    expect(
      groups.map((g) => [g.functions.length, g.verdict, g.runs.map((r) => `${r.host}:${r.count}`)]),
    ).toEqual([
      [TX.length, undefined, ['b:3', 'c:5']],
      [RX.length, undefined, ['a:9']],
      [TX.length, 'dropped', ['e:2']],
    ]);
  });
});
