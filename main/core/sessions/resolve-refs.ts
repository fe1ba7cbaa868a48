import { NotFoundError } from '../errors.js';

/**
 * A run of a session named by its id or by its 1-based position ("2" = the second run); none = the first run.
 * Positions make `compare s1:1 s2:1` typeable; ids stay unambiguous for scripts.
 */
export function resolveRun<R extends { id: string }>(
  session: { id: string; runs: readonly R[] },
  run?: string,
): R {
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
