import { randomInt } from 'node:crypto';
import { afterEach, describe, expect, inject } from 'vitest';
import { createPair, destroy, ping, type Topology } from '../lab/netns.js';
import { gatedIt } from '../support/requirements.js';
import { TraceRun } from './loader-run.js';
import { pushLoader, type VmHost } from './vm-loader.js';

// Classic TC (Debian 6.1 in vm61: no TCX) when several loaders observe one interface: each run owns its own
// filter, a run's start and `cleanup` remove only what a dead loader left, and `probe` removes nothing.
const provided = inject('lab');
const state = 'state' in provided ? provided.state : undefined;
const gap =
  'unavailable' in provided
    ? provided.unavailable
    : state?.hosts.vm61
      ? undefined
      : 'lab VMs not up (PKTPATH_LAB_VMS=0)';
const it = gatedIt(gap);
const TCG = 240_000; // qemu TCG: slow, bounded
// our own copy of the loader in the VM: other tests push theirs to the shared path
const REMOTE = '/tmp/pktpath-loader-tc-owner';
const TC_PRIO = 0x7074;

let pushed: Promise<VmHost> | undefined;
const vm61 = () => (pushed ??= pushLoader(state!, 'vm61', REMOTE));

/** A loader run in the VM and its PID there (the shell prints it, then becomes the loader). */
interface Run {
  run: TraceRun;
  pid: number;
}
const live: Run[] = [];
const topologies: Topology[] = [];

afterEach(async () => {
  for (const r of live.splice(0)) {
    r.run.child.stdin.end(); // stdin EOF: the loader detaches and exits
    await r.run.exited;
  }
  for (const t of topologies.splice(0)) await destroy(t);
});

async function start(host: VmHost, config: object): Promise<Run> {
  const via = [...host.via.slice(0, -1), `echo loader-pid $$ >&2; exec ${host.via.at(-1)}`];
  const run = new TraceRun(config, ['--json'], via);
  await run.waitFor('attached', 120_000);
  const r = { run, pid: Number(/loader-pid (\d+)/.exec(run.stderr)?.[1]) };
  live.push(r);
  expect(r.pid, run.stderr).toBeGreaterThan(1);
  expect(run.records().filter((x) => x.type === 'probe')).toMatchObject([{ kind: 'tc', attached: true }]);
  return r;
}

/** Observes the server's ingress only (no function probes, no tracepoints): every event is this TC filter's. */
const onServer = (t: Topology) => ({
  filter: `icmp and host ${t.serverAddr}`,
  attach: 'tc',
  probes: {
    tracepoints: 'none',
    tc: [{ interface: t.serverIf, netns: `/run/netns/${t.server}`, direction: 'ingress' }],
  },
});

/** How many events this run's TC probe wrote, once `want` arrived or 10 s passed. */
async function seen(r: Run, probe: string, want: number): Promise<number> {
  const count = () => r.run.events().filter((e) => e.name === probe).length;
  for (let i = 0; i < 100 && count() < want; i++) await new Promise((res) => setTimeout(res, 100));
  await new Promise((res) => setTimeout(res, 300)); // and nothing more than that arrives
  return count();
}

/** Handles of the pktpath-priority cls_bpf filters on an interface's ingress, as `tc` (iproute2) lists them. */
async function handles(host: VmHost, dev: string, netns?: string): Promise<number[]> {
  const r = await host.shell(`${netns ? `ip netns exec ${netns} ` : ''}tc filter show dev ${dev} ingress`);
  expect(r.code, r.stderr).toBe(0);
  return [...r.stdout.matchAll(new RegExp(`pref ${TC_PRIO} bpf .*handle (0x[0-9a-f]+) `, 'g'))]
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
}
const pids = (...runs: Run[]) => runs.map((r) => r.pid).sort((a, b) => a - b);

async function kill9(host: VmHost, r: Run) {
  const k = await host.shell(`kill -9 ${r.pid}`);
  expect(k.code, k.stderr).toBe(0);
  await r.run.exited;
  live.splice(live.indexOf(r), 1);
}

describe('classic TC filters have one owner each (Debian 6.1, vm61)', () => {
  it(
    'two traces on one interface both see every packet; the first to stop leaves the other one attached',
    async () => {
      const host = await vm61();
      const t = await createPair(host.shell);
      topologies.push(t);
      const probe = `tc/ingress/${t.serverIf}`;
      const a = await start(host, onServer(t));
      const b = await start(host, onServer(t));
      expect((await ping(t, 3)).received).toBe(3);
      expect(await seen(a, probe, 3)).toBe(3);
      expect(await seen(b, probe, 3)).toBe(3);
      expect(await handles(host, t.serverIf, t.server)).toEqual(pids(a, b)); // one filter each

      // a created the clsact; stopping it must take neither b's filter nor the clsact under it
      await a.run.stop();
      expect((await a.run.exited).code, a.run.stderr).toBe(0);
      expect(await handles(host, t.serverIf, t.server)).toEqual(pids(b));
      expect((await ping(t, 2)).received).toBe(2);
      expect(await seen(b, probe, 5)).toBe(5);
      await b.run.stop();
      expect(await handles(host, t.serverIf, t.server)).toEqual([]);
    },
    TCG,
  );

  it(
    'loader probe during a live trace on lo leaves the trace attached',
    async () => {
      const host = await vm61();
      // an address of its own on lo, so concurrent tests' loopback traffic does not count
      const addr = `127.${randomInt(1, 255)}.${randomInt(1, 255)}.${randomInt(2, 255)}`;
      const a = await start(host, {
        filter: `icmp and host ${addr}`,
        attach: 'tc',
        probes: { tracepoints: 'none', tc: [{ interface: 'lo', direction: 'ingress' }] },
      });
      const pingLo = async (n: number) => {
        const r = await host.shell(`ping -n -c ${n} -i 0.2 -W 1 ${addr}`, { timeoutMs: 30_000 });
        expect(r.code, r.stdout + r.stderr).toBe(0);
      };
      await pingLo(1); // the request and the reply both enter lo
      expect(await seen(a, 'tc/ingress/lo', 2)).toBe(2);

      const p = await host.shell(`${REMOTE} probe`, { timeoutMs: 120_000 });
      expect(p.code, p.stderr).toBe(0);
      const attach = (JSON.parse(p.stdout) as { attach: Record<string, { ok: boolean; error?: string }> })
        .attach;
      expect(attach.tc).toEqual({ ok: true }); // the probe still attached (and removed) a filter of its own
      expect(attach.tcx!.error).toMatch(/classic cls_bpf works/);

      await pingLo(2);
      expect(await seen(a, 'tc/ingress/lo', 6)).toBe(6);
      expect(await handles(host, 'lo')).toContain(a.pid);
      await a.run.stop();
      expect(await handles(host, 'lo')).not.toContain(a.pid);
    },
    TCG,
  );

  it(
    "a SIGKILLed run's filter is removed by cleanup and by the next run; a live run's never is",
    async () => {
      const host = await vm61();
      const t = await createPair(host.shell);
      topologies.push(t);
      const probe = `tc/ingress/${t.serverIf}`;
      const a = await start(host, onServer(t));
      const killed = await start(host, onServer(t));
      await kill9(host, killed);
      expect((await ping(t, 1)).received).toBe(1);
      expect(await seen(a, probe, 1)).toBe(1); // the killed run's start left a's filter alone
      // control: the dead run's filter outlived it (classic TC belongs to no process)
      expect(await handles(host, t.serverIf, t.server)).toEqual(pids(a, killed));

      const c = await host.shell(`${REMOTE} cleanup`, { timeoutMs: 60_000 });
      expect(c.code, c.stderr).toBe(0);
      // other tests' dead loaders elsewhere in the VM count too: at least ours
      expect((JSON.parse(c.stdout) as { tcFiltersRemoved: number }).tcFiltersRemoved).toBeGreaterThanOrEqual(
        1,
      );
      expect(await handles(host, t.serverIf, t.server)).toEqual(pids(a));

      const killed2 = await start(host, onServer(t));
      await kill9(host, killed2);
      expect(await handles(host, t.serverIf, t.server)).toEqual(pids(a, killed2));
      const next = await start(host, onServer(t)); // its start removes killed2's filter, not a's
      expect(await handles(host, t.serverIf, t.server)).toEqual(pids(a, next));

      expect((await ping(t, 2)).received).toBe(2);
      expect(await seen(a, probe, 3)).toBe(3);
      expect(await seen(next, probe, 2)).toBe(2);
      await a.run.stop();
      await next.run.stop();
      expect(await handles(host, t.serverIf, t.server)).toEqual([]);
    },
    TCG,
  );
});
