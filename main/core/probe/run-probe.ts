import type { Host } from '../../api/hosts.js';
import { ProbeFactsSchema, type ProbeFacts } from '../../api/trace.js';
import { formatIssues } from '../../api/validate.js';
import { CoreError } from '../errors.js';
import type { HostAccess } from '../hosts/host-access.js';
import type { PrivilegeOptions } from '../ssh/privileged.js';
import { findLimits } from './preflight-findings.js';
import { askPasswordOnce, runLoadCheck, runPreflight } from './preflight.js';
import type { ProbeCache } from './probe-cache.js';

const PROBE_TIMEOUT_MS = 120_000; // a TCG VM loads and attaches a few test programs slowly

/** Runs `pktpath-loader probe` as root on the host and validates its document. */
export async function runLoaderProbe(
  access: HostAccess,
  host: Host,
  privilege?: PrivilegeOptions,
): Promise<ProbeFacts> {
  const runner = await access.runner(host);
  const cmd = await access.spawnLoader(host, runner, ['probe'], undefined, privilege);
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  cmd.stdout.on('data', (d: Buffer) => out.push(d));
  cmd.stderr.on('data', (d: Buffer) => err.push(d));
  cmd.stdin.on('error', () => undefined);
  cmd.stdin.end();
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      cmd.kill();
      reject(new CoreError('timeout', `loader probe on ${runner.target} took over ${PROBE_TIMEOUT_MS} ms`));
    }, PROBE_TIMEOUT_MS);
  });
  const { code } = await Promise.race([cmd.exit, limit]).finally(() => clearTimeout(timer));
  const stdout = Buffer.concat(out).toString('utf8');
  if (code !== 0) {
    const why = Buffer.concat(err).toString('utf8').trim().split('\n').pop() || stdout.trim().slice(0, 200);
    throw new CoreError('remote-command-failed', `loader probe on ${runner.target} exited ${code}: ${why}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(stdout);
  } catch (e) {
    throw new CoreError(
      'internal',
      `loader probe on ${runner.target} printed no JSON: ${(e as Error).message}`,
    );
  }
  const r = ProbeFactsSchema.safeParse(raw);
  if (!r.success)
    throw new CoreError('internal', formatIssues(`loader probe on ${runner.target}`, r.error.issues));
  return { ...r.data, probedAt: new Date().toISOString() };
}

/**
 * probe.run: the loader's facts (answered from the cache when the host still runs the kernel release it was probed
 * on) plus `limits`, the preflight's findings, read afresh every time (a cache dir or sudo rule changes without a
 * reboot). The preflight runs first: the loader mounts tracefs, so only before it is an unmounted tracefs seen.
 * When the loader cannot probe at all, the error carries the findings in `details.limits`.
 */
export async function probeHost(
  access: HostAccess,
  cache: ProbeCache,
  host: Host,
  refresh: boolean,
): Promise<ProbeFacts> {
  const runner = await access.runner(host);
  const { kernelRelease } = await access.info(runner);
  const privilege = askPasswordOnce(access.privilegeOptions(host, runner));
  const raw = await runPreflight(access, host, privilege);
  let facts = refresh ? undefined : cache.get(host.name, kernelRelease);
  if (!facts) {
    try {
      facts = await runLoaderProbe(access, host, privilege);
    } catch (e) {
      if (!(e instanceof CoreError)) throw e;
      const limits = findLimits(raw, undefined, e.message);
      throw new CoreError(e.code, e.message, { ...e.details, limits }, { cause: e });
    }
    // A check that could not finish (a timeout) proves nothing either way: left out, not reported as refused.
    const loadCheck = await runLoadCheck(access, host, privilege).catch(() => undefined);
    if (loadCheck) facts = { ...facts, loadCheck };
    cache.put(host.name, facts);
  }
  return { ...facts, limits: findLimits(raw, facts) };
}
