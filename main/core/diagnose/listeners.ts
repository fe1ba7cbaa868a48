/** A socket from the context's `ss -H -lntupw` lines. */
export interface Listener {
  proto: string;
  address: string;
  port: number;
  process?: string;
  pid?: number;
  text: string;
}

export function parseListener(line: string): Listener | undefined {
  const tok = line.trim().split(/\s+/);
  const local = tok[4];
  const m = local ? /^(.*):(\d+|\*)$/.exec(local) : null;
  if (!m?.[1] || !m[2] || m[2] === '*' || !tok[0]) return undefined;
  const users = /users:\(\("([^"]*)",pid=(\d+)/.exec(line);
  return {
    proto: tok[0],
    address: m[1],
    port: Number(m[2]),
    text: line.trim(),
    ...(users ? { process: users[1], pid: Number(users[2]) } : {}),
  };
}

/** The sockets bound to `port` for `proto` ('tcp', 'udp', 'raw'). */
export function listenersOn(lines: readonly string[], proto: string, port: number): Listener[] {
  return lines
    .map(parseListener)
    .filter((l): l is Listener => l !== undefined && l.proto === proto && l.port === port);
}

/** "process nc (pid 123)" */
export const processLabel = (l: Listener) =>
  l.process ? `process ${l.process} (pid ${l.pid})` : 'an unnamed process';
