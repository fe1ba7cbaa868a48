import { randomBytes } from 'node:crypto';
import type { HostContextSnapshot } from '../../api/explain.js';
import type { CommandRunner } from '../ssh/command-runner.js';
import { spawnRootScript, type PrivilegeOptions } from '../ssh/privileged.js';
import { CONTEXT_SCRIPT, DEFAULT_TIME_S, MAX_NAMESPACES, TOTAL_CAP } from './capture-script.js';
import { parseContextOutput } from './parse-context.js';

export interface ContextCaptureOptions {
  /** Only these netns inodes (the end capture: those the packets touched, plus init); absent = every one. */
  netns?: readonly number[];
  /** How long the script may run on the host (it stops itself; the client kills it a little later). */
  timeS?: number;
  maxNamespaces?: number;
}

/** Past the script's own bound: becoming root (sudo, PAM) and a slow link. */
const CLIENT_GRACE_MS = 15_000;

/**
 * Captures the host's network context read-only as root (capture-script.ts) over the runner's link, through the
 * same privilege method as the loader. Never throws: a capture that cannot run or is cut says so in `error`, so a
 * failed capture never fails the trace it accompanies.
 */
export async function captureHostContext(
  runner: CommandRunner,
  privilege: PrivilegeOptions,
  opts: ContextCaptureOptions = {},
): Promise<HostContextSnapshot> {
  const at = new Date().toISOString();
  const token = randomBytes(8).toString('hex');
  const timeS = opts.timeS ?? DEFAULT_TIME_S;
  const args = [
    token,
    String(timeS),
    String(opts.maxNamespaces ?? MAX_NAMESPACES),
    ...(opts.netns ?? []).map(String),
  ];
  try {
    const cmd = await spawnRootScript(runner, CONTEXT_SCRIPT, args, privilege);
    const out: Buffer[] = [];
    let size = 0;
    cmd.stdout.on('data', (d: Buffer) => {
      if (size > TOTAL_CAP) return;
      out.push(d);
      size += d.length;
    });
    let stderr = '';
    cmd.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString('utf8')).slice(-500)));
    cmd.stdin.on('error', () => undefined);
    cmd.stdin.end();
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>(
      (r) => (timer = setTimeout(() => r('late'), timeS * 1000 + CLIENT_GRACE_MS)),
    );
    const ended = await Promise.race([cmd.exit, late]);
    clearTimeout(timer);
    if (ended === 'late') cmd.kill();
    const snap = parseContextOutput(Buffer.concat(out).toString('utf8'), token, at);
    const why = stderr.trim().split('\n').pop();
    return snap.error && why ? { ...snap, error: `${snap.error}: ${why}` } : snap;
  } catch (e) {
    return {
      at,
      namespaces: [],
      error: `host context not captured: ${e instanceof Error ? e.message : String(e)}`,
    };
  }
}
