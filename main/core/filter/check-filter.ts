import type { Host } from '../../api/hosts.js';
import { FilterCheckSchema, type FilterCheck } from '../../api/filter.js';
import { CoreError } from '../errors.js';
import type { HostAccess } from '../hosts/host-access.js';
import { execCommand, shQuote } from '../ssh/command-runner.js';

const CHECK_TIMEOUT_MS = 15_000;

/**
 * Compiles `filter` with the host's own loader (`check-filter`: libpcap on a dead handle, both the L2 and the L3
 * view, then the eBPF translation), so the answer is exactly what `trace` would say. Needs no privilege: the
 * loader runs as the login user, the filter goes on stdin (no quoting of user text into a shell command).
 */
export async function checkFilter(access: HostAccess, host: Host, filter: string): Promise<FilterCheck> {
  const runner = await access.runner(host);
  const loader = await access.loader(host, runner);
  const r = await execCommand(runner, `${shQuote(loader)} check-filter`, {
    stdin: filter,
    timeoutMs: CHECK_TIMEOUT_MS,
  });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    const why = r.stderr.trim().split('\n').pop() || line.slice(0, 200) || `exit ${r.code ?? r.signal}`;
    throw new CoreError('remote-command-failed', `loader check-filter on ${runner.target}: ${why}`);
  }
  const res = FilterCheckSchema.safeParse(parsed);
  if (res.success) return res.data;
  // a usage error from the loader itself ({"type":"error",...}) is a failed check, not a verdict on the filter
  const msg = (parsed as { error?: unknown }).error;
  throw new CoreError(
    'remote-command-failed',
    `loader check-filter on ${runner.target}: ${typeof msg === 'string' ? msg : line.slice(0, 200)}`,
  );
}
