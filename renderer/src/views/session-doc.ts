import type { Session } from '../../../main/api/sessions';
import type { ApiClient } from '../api/client';
import type { PathDocument } from '../app/context';
import { sessionRunSource } from '../model/packet-source';

/** A saved session as the Path and Flows views open it: each run paged from the core. */
export function sessionDocument(client: ApiClient, s: Session): PathDocument {
  return {
    title: s.title,
    sessionId: s.id,
    runs: s.runs.map((r) => ({
      id: r.id,
      host: r.host,
      filter: r.spec.filter,
      lost: r.lost,
      events: r.hops,
      ended: r.reason?.message,
      source: sessionRunSource(client, s.id, r),
      context: r.context,
    })),
  };
}
