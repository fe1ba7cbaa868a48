import type { SessionFlows } from '../../../api/flows.js';
import { CoreError, NotFoundError } from '../../errors.js';
import { fleetGroups } from '../../flows/fleet-groups.js';
import { flowsOfRuns } from '../../flows/run-flows.js';
import type { SessionStore } from '../../sessions/session-store.js';
import type { CoreContext, MethodTable } from '../core-context.js';

export function flowMethods(ctx: CoreContext): MethodTable<'sessions.flows'> {
  return {
    'sessions.flows': ({ id, group, limit }) => sessionFlows(ctx.sessions, id, group, limit),
  };
}

type SavedRun = ReturnType<SessionStore['explainedRuns']>[number];

/**
 * A saved multi-host trace stitched into flows (the same stitching as `pktpath trace HOST1 HOST2 …`, on the saved
 * runs' explained packets) and its hosts grouped by path. Flows are computed here, never by a face.
 */
export function sessionFlows(
  store: SessionStore,
  id: string,
  group: string | undefined,
  limit: number,
): SessionFlows {
  const picked = pickRuns(store.explainedRuns(id), id, group);
  const flows = flowsOfRuns(
    picked.runs.map(({ run, packets }) => ({
      host: run.host,
      events: run.events,
      packets: packets(),
      startedAt: run.startedAt,
      ...(run.endedAt ? { endedAt: run.endedAt } : {}),
    })),
  );
  const runs = picked.runs.map(({ run }) => run);
  return {
    group: picked.group,
    runs: runs.map((r) => ({ host: r.host, run: r.id, packets: r.packets })),
    total: flows.length,
    flows: flows.slice(0, limit),
    fleet: fleetGroups(runs.map((r) => ({ host: r.host, id: r.id, variants: r.variants }))),
  };
}

/**
 * The runs to stitch: the named group's; else the group with the most runs (the latest on a tie), else every run.
 * Stitching joins hosts, so each host may have one run among them.
 */
function pickRuns(all: SavedRun[], id: string, group: string | undefined) {
  let chosen = group;
  if (chosen === undefined) {
    const counts = new Map<string, number>();
    for (const { run } of all) if (run.group) counts.set(run.group, (counts.get(run.group) ?? 0) + 1);
    for (const [g, n] of counts) if (n >= (counts.get(chosen ?? '') ?? 0)) chosen = g;
  }
  const runs = chosen === undefined ? all : all.filter(({ run }) => run.group === chosen);
  if (!runs.length)
    throw new NotFoundError(
      chosen === undefined ? `session ${id} has no runs` : `session ${id} has no runs of group ${chosen}`,
    );
  const seen = new Set<string>();
  for (const { run } of runs) {
    if (seen.has(run.host))
      throw new CoreError(
        'invalid-request',
        `session ${id} has more than one run on ${run.host}${chosen ? ` in group ${chosen}` : ''}: flows join one run per host`,
      );
    seen.add(run.host);
  }
  return { group: chosen ?? null, runs };
}
