import { resolve } from 'node:path';
import { sh } from '../exec.js';
import type { Topology } from '../netns.js';

/** Runs `cmd` inside netns `ns` of the topology's host; fails with its output when it fails. */
export const inNs = (t: Topology, ns: string, cmd: string) => sh(t.shell, `ip netns exec ${ns} ${cmd}`);

/** Runs `cmd` inside `ns` and ignores its exit status (traffic that is meant to fail). */
export const tryInNs = (t: Topology, ns: string, cmd: string, timeoutMs = 15_000) =>
  t.shell(`ip netns exec ${ns} ${cmd}`, { timeoutMs });

/** The router namespace of a routed topology. */
export function routerOf(t: Topology): string {
  if (!t.router) throw new Error('this scenario needs a routed topology (createRouted)');
  return t.router;
}

/** The routed topology's third octet and the router's interface names and addresses (see createRouted). */
export function routerSide(t: Topology) {
  const n = t.clientAddr.split('.')[2] ?? '';
  return {
    n,
    router: routerOf(t),
    clientSideIf: `prc${t.id}`,
    serverSideIf: `prs${t.id}`,
    clientSideAddr: `10.232.${n}.2`,
    serverSideAddr: `10.233.${n}.1`,
  };
}

/** The scenario helper scripts, run with the system's Python (python3 in scripts/debian-packages.txt). */
export const py = (script: string, ...args: string[]) =>
  `/usr/bin/python3 ${resolve('test/lab/scenarios/py', script)} ${args.join(' ')}`;

/** An address in the topology's client subnet that nobody has. */
export const absentNeighbour = (t: Topology) => t.clientAddr.replace(/\.1$/, '.99');
