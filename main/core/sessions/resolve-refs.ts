import type { PathRef, RunRef } from '../../api/compare.js';
import type { Session } from '../../api/sessions.js';
import type { PacketPath, Run } from '../../api/trace.js';
import { NotFoundError } from '../errors.js';

/**
 * A run of a session named by its id or by its 1-based position ("2" = the second run); none = the first run.
 * Positions make `compare s1:1 s2:1` typeable; ids stay unambiguous for scripts.
 */
export function resolveRun(session: Session, run?: string): Run {
  const runs = session.runs;
  if (run === undefined) {
    const first = runs[0];
    if (!first) throw new NotFoundError(`session ${session.id} has no runs`);
    return first;
  }
  const byId = runs.find((r) => r.id === run);
  if (byId) return byId;
  if (/^[1-9]\d*$/.test(run)) {
    const byPos = runs[Number(run) - 1];
    if (byPos) return byPos;
  }
  throw new NotFoundError(`session ${session.id} has no run ${run} (it has ${runs.length})`);
}

/** A packet of a run by packet id; none = the run's first packet. */
export function resolvePacket(session: Session, run: Run, packet?: number): PacketPath {
  const p = packet === undefined ? run.packets[0] : run.packets.find((x) => x.id === packet);
  if (!p)
    throw new NotFoundError(
      packet === undefined
        ? `run ${run.id} of session ${session.id} has no packets`
        : `run ${run.id} of session ${session.id} has no packet ${packet}`,
    );
  return p;
}

export function resolvePathRef(get: (id: string) => Session, ref: PathRef): PacketPath {
  const s = get(ref.session);
  const run = resolveRun(s, ref.run);
  return resolvePacket(s, run, ref.packet);
}

export function resolveRunRef(get: (id: string) => Session, ref: RunRef): Run {
  const s = get(ref.session);
  return resolveRun(s, ref.run);
}

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
