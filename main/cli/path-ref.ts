import type { PathRef } from '../api/compare.js';
import { NotFoundError } from '../core/errors.js';

/** Parses the CLI's `SESSION[:RUN[:PACKET]]`. */
export function parsePathRef(text: string): PathRef {
  const [session, run, packet, extra] = text.split(':');
  if (!session || extra !== undefined || run === '' || packet === '')
    throw new NotFoundError(`"${text}" is not SESSION[:RUN[:PACKET]]`);
  if (packet !== undefined && !/^\d+$/.test(packet))
    throw new NotFoundError(`"${text}": PACKET must be a packet id (a number)`);
  return {
    session,
    ...(run !== undefined ? { run } : {}),
    ...(packet !== undefined ? { packet: Number(packet) } : {}),
  };
}
