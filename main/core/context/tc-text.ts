import type { TcDirection } from '../../api/trace-scope.js';

/**
 * Reading the `tc` section of a namespace's context (capture-script.ts): `tc -s qdisc show`, then for each device
 * with a clsact/ingress qdisc a `filters dev D ingress:` / `egress:` header followed by `tc -s filter show`.
 */

/** Counter lines tc prints under a qdisc, filter or action: they move by themselves. */
const STATS =
  /^\s*(Sent \d|backlog |rate \d|requeues |Action statistics|index \d+ ref \d|lastused|maxpacket|new_flows_len|drop_overlimit|\(dropped)/;
const HEADER = /^filters dev (\S+) (ingress|egress):$/;

/** The configuration lines: qdiscs and filters without counters, and without a BPF program's id (new on reload). */
export function tcConfigLines(text: string | undefined): string[] {
  return withoutChainHeaders(
    (text ?? '')
      .split('\n')
      .filter((l) => l.trim() && !STATS.test(l))
      .map((l) => l.replace(/ id \d+/, '').trim()),
  );
}

/** tc prints a filter's chain line bare, then again with the filter after it: the bare one says nothing more. */
const withoutChainHeaders = (lines: string[]) =>
  lines.filter((l, i) => !(l.startsWith('filter ') && lines[i + 1]?.startsWith(`${l} `)));

/** The filters on one device's hook (`dir` both when the reason does not say): the lines that define a filter or its action. */
export function tcFilters(text: string | undefined, dev: string, dir: TcDirection): string[] {
  const out: string[] = [];
  let inBlock = false;
  for (const line of (text ?? '').split('\n')) {
    const h = HEADER.exec(line);
    if (h) inBlock = h[1] === dev && (dir === 'both' || h[2] === dir);
    else if (line.startsWith('qdisc ')) inBlock = false;
    else if (inBlock && line.trim() && !STATS.test(line)) out.push(line.trim());
  }
  return withoutChainHeaders(out);
}

/** One device's qdiscs, each with its own counter line (`Sent … (dropped N, …)`) joined on. */
export function tcQdiscs(text: string | undefined, dev: string): string[] {
  const out: string[] = [];
  let current: string | undefined;
  for (const line of (text ?? '').split('\n')) {
    if (line.startsWith('qdisc ')) {
      current = / dev (\S+)/.exec(line)?.[1] === dev ? line.trim() : undefined;
      if (current) out.push(current);
    } else if (current && /^\s*Sent \d/.test(line)) out[out.length - 1] = `${current} — ${line.trim()}`;
    else if (!line.startsWith(' ')) current = undefined;
  }
  return out;
}

/** A filter line without what only tc's internals need (`not_in_hw`, the program's tag, `jited`, chain 0). */
export const tcFilterBrief = (line: string): string =>
  line
    .replace(/ (not_in_hw|jited|in_hw)\b/g, '')
    .replace(/ tag [0-9a-f]+/, '')
    .replace(/ chain 0\b/, '')
    .replace(/^filter /, '')
    .trim();
