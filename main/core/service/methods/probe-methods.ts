import { probeHost } from '../../probe/run-probe.js';
import { parseProbeSet } from '../../probeset/parse-probe-set.js';
import { listProfiles } from '../../probeset/profiles.js';
import type { CoreContext, MethodTable } from '../core-context.js';

export function probeMethods(
  ctx: CoreContext,
): MethodTable<'probe.run' | 'probeSet.validate' | 'probeSet.profiles'> {
  return {
    'probe.run': ({ host, refresh }) => probeHost(ctx.access, ctx.probeCache, ctx.hosts.get(host), refresh),
    'probeSet.validate': ({ text, host }) => {
      const { entries, errors } = parseProbeSet(text);
      if (!host) return { ok: errors.length === 0, entries, errors };
      ctx.hosts.get(host); // an unknown host is an error, not "no facts"
      // Checked against the host's last probe (no connection); unprobed hosts report nothing unknown.
      const facts = ctx.probeCache.latest(host);
      const known = new Set(facts?.functions.map((f) => f.name));
      const unknownOnHost = facts ? entries.filter((e) => !known.has(e.function)).map((e) => e.function) : [];
      return { ok: errors.length === 0, entries, errors, unknownOnHost };
    },
    'probeSet.profiles': () => ({ profiles: listProfiles() }),
  };
}
