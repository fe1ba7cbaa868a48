import { describe, expect, it } from 'vitest';
import type { PacketPath } from '../../../main/api/trace.js';
import { GroupRun } from '../../../renderer/src/model/trace-group.js';

// The Trace view's run on several hosts, folded from the core's per-run events: a host that fails is that host's
// end only, the others go on; the group is done when every host is.
const pkt = (id: number): PacketPath => ({
  id,
  hops: [{ function: 'ip_rcv', ts_ns: id * 1000, ifindex: 2, netns: 1, len: 84 }],
  drop_reason: null,
});
const start = {
  groupId: 'g1',
  runs: [
    { host: 'vm612', runId: 'r2' },
    { host: 'vm61', runId: 'r1' },
  ],
  failed: [{ host: 'vm99', error: { code: 'not-found' as const, message: 'no host vm99' } }],
};

describe('GroupRun', () => {
  it('keeps the picked host order, each host its own packets and end; done when every host ended', () => {
    const g = new GroupRun(start, ['vm61', 'vm612', 'vm99']);
    expect(g.hosts.map((h) => [h.host, h.runId, h.notStarted])).toEqual([
      ['vm61', 'r1', undefined],
      ['vm612', 'r2', undefined],
      ['vm99', undefined, 'no host vm99'],
    ]);
    expect(g.apply({ event: 'trace.packets', payload: { runId: 'other', packets: [pkt(1)] } })).toBe(false);
    g.apply({ event: 'trace.progress', payload: { runId: 'r1', phase: 'tracing' } });
    g.apply({ event: 'trace.packets', payload: { runId: 'r1', packets: [pkt(1), pkt(2)] } });
    expect(g.hosts.map((h) => h.live.total)).toEqual([2, 0, 0]);
    expect(g.done).toBe(false);
    const error = { code: 'unreachable' as const, message: 'connect ECONNREFUSED' };
    g.apply({
      event: 'trace.end',
      payload: { runId: 'r2', error, reason: { kind: 'error', message: error.message } },
    });
    expect(g.hosts[1]?.end).toMatchObject({ ok: false, error });
    expect(g.hosts[0]?.progress?.phase).toBe('tracing'); // the others go on
    expect(g.done).toBe(false);
    expect(g.runningRunIds).toEqual(['r1']);
    g.apply({
      event: 'trace.end',
      payload: {
        runId: 'r1',
        reason: { kind: 'stopped', message: 'stopped by you' },
        recorded: { packets: 3, file: '/x.run' },
        run: {
          id: 'r1',
          host: 'vm61',
          spec: {
            host: 'vm61',
            filter: 'icmp',
            mode: 'auto',
            probes: { kind: 'profile', name: 'default' },
            limits: {},
          },
          mode: 'fentry',
          startedAt: '2025-12-01T10:00:00.000Z',
          lost: 0,
          events: [],
          packets: [pkt(3)],
        } as never,
      },
    });
    expect(g.hosts[0]?.live.total).toBe(3);
    expect(g.done).toBe(true);
    expect(g.saveableRunIds).toEqual(['r1']);
  });

  it('takes the run end from trace.status after a reconnect, and still the end event’s packets after it', () => {
    const g = new GroupRun({ groupId: 'g', runs: [{ host: 'a', runId: 'r' }], failed: [] }, ['a']);
    g.resynced('r', { kind: 'stopped', message: 'stopped' }, 0);
    expect(g.done).toBe(true);
    expect(g.apply({ event: 'trace.packets', payload: { runId: 'r', packets: [pkt(1)] } })).toBe(false);
    const run = { id: 'r', host: 'a', packets: [pkt(5)], lost: 0 } as never;
    expect(
      g.apply({ event: 'trace.end', payload: { runId: 'r', run, recorded: { packets: 1, file: 'f' } } }),
    ).toBe(true);
    expect(g.hosts[0]?.live.total).toBe(1);
  });
});
