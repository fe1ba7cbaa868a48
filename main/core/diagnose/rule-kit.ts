import type { Facts } from './facts.js';
import type { EvidenceItem } from './rule.js';
import { PROTO_NAMES } from './packet-match.js';

/** A command run inside the packet's netns, as the user would type it. */
export function inNetns(f: Facts, cmd: string): string {
  const n = f.nsName;
  if (n === 'init') return cmd;
  const pid = /^(\d+) \(/.exec(n)?.[1];
  if (pid) return `nsenter -t ${pid} -n ${cmd}`;
  if (/^netns \d+$/.test(n) || n === 'unknown netns') return `${cmd} (inside ${n})`;
  return `ip netns exec ${n} ${cmd}`;
}

/** "netns web", "the root netns (init)". */
export const nsLabel = (f: Facts) => (f.nsName === 'init' ? 'the root netns (init)' : `netns ${f.nsName}`);

/** The interface name, or its index when the context lacks it. */
export const ifLabel = (f: Facts) => f.ifname ?? (f.ifindex ? `ifindex ${f.ifindex}` : 'its interface');

export const protoName = (proto: number) =>
  Object.entries(PROTO_NAMES).find(([, n]) => n === proto)?.[0] ?? `proto ${proto}`;

/** The deciding hop as evidence. */
export function hopEvidence(f: Facts): EvidenceItem[] {
  const h = f.hop === undefined ? undefined : f.packet.hops[f.hop];
  if (!h) return [];
  const reason = f.reason ? ` with reason ${f.reason}` : '';
  const where = f.dropFunction ? ` (decided in ${f.dropFunction})` : '';
  return [
    {
      kind: 'hop',
      hop: f.hop,
      text: `hop ${f.hop} ${h.function}${reason}${where} in ${nsLabel(f)} on ${ifLabel(f)}`,
    },
  ];
}

/** The answers the kernel sent back, as evidence. */
export function answerEvidence(f: Facts): EvidenceItem[] {
  return f.answers.map((a) => ({
    kind: 'link' as const,
    text:
      a.kind === 'tcp'
        ? `packet ${a.packet}: TCP answer (RST) from ${a.from}`
        : `packet ${a.packet}: ICMP type ${a.icmpType} code ${a.icmpCode} from ${a.from}`,
  }));
}

/** Counter deltas of the netns that moved, named, as evidence. */
export function counterEvidence(f: Facts, names: readonly string[]): EvidenceItem[] {
  return names
    .filter((n) => f.counters[n] !== undefined)
    .map((n) => ({
      kind: 'counter' as const,
      text: `${n} +${f.counters[n]} in ${nsLabel(f)} during the run`,
    }));
}

/** Local addresses of the netns (without prefix lengths). */
export function localAddresses(f: Facts): string[] {
  return (f.ns?.links ?? []).flatMap((l) => l.addresses.map((a) => a.split('/')[0] ?? a));
}

/** The packet was addressed to this netns (one of its addresses); undefined when the context does not say. */
export function isLocalDest(f: Facts): boolean | undefined {
  if (!f.ns || !f.key) return undefined;
  return localAddresses(f).includes(f.key.daddr);
}

export const sysctl = (f: Facts, name: string) => f.ns?.sysctls[name];
