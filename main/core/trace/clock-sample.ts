import type { CommandRunner } from '../ssh/command-runner.js';

/** One reading of a host's wall clock, bracketed by this client's wall clock (ms) around the round trip. */
export interface ClockSample {
  sentMs: number;
  receivedMs: number;
  /** The host's CLOCK_REALTIME in µs (exact as a JSON number). */
  realtimeUs: number;
}

/**
 * A shell on the host that answers each line it reads with its wall clock in µs: bash's $EPOCHREALTIME needs no
 * fork (a fork is milliseconds on a loaded or emulated host); `date +%s%N` otherwise. Any user can run it.
 */
const ECHO_CLOCK = `if command -v bash >/dev/null 2>&1; then exec bash -c 'while read -r _; do echo "\${EPOCHREALTIME/[.,]/}"; done'; else while read -r _; do echo $(( $(date +%s%N) / 1000 )); done; fi`;

const wallMs = () => performance.timeOrigin + performance.now();

/**
 * The tightest of `n` round trips to the host's clock over one command (the first pays the channel's start):
 * a multi-host run's clock offsets start from these (core/flows/clock-offset.ts). Undefined when the host gives
 * no usable answer within `timeoutMs`.
 */
export async function sampleHostClock(
  runner: CommandRunner,
  n = 5,
  timeoutMs = 10_000,
): Promise<ClockSample | undefined> {
  const cmd = await runner.spawn(ECHO_CLOCK);
  const lines: string[] = [];
  let wake: () => void = () => undefined;
  let buf = '';
  cmd.stdout.on('data', (d: Buffer) => {
    buf += d.toString('utf8');
    const parts = buf.split('\n');
    buf = parts.pop() ?? '';
    lines.push(...parts);
    wake();
  });
  cmd.stdin.on('error', () => undefined);
  const deadline = Date.now() + timeoutMs;
  let best: ClockSample | undefined;
  try {
    for (let i = 0; i < n && Date.now() < deadline; i++) {
      const sentMs = wallMs();
      cmd.stdin.write('\n');
      const line = await nextLine(lines, (w) => (wake = w), deadline - Date.now());
      const receivedMs = wallMs();
      if (line === undefined || !/^\d{13,}$/.test(line.trim())) break;
      const s = { sentMs, receivedMs, realtimeUs: Number(line.trim()) };
      if (!best || s.receivedMs - s.sentMs < best.receivedMs - best.sentMs) best = s;
    }
  } finally {
    cmd.stdin.end();
    cmd.kill();
  }
  return best;
}

async function nextLine(
  lines: string[],
  onWake: (w: () => void) => void,
  ms: number,
): Promise<string | undefined> {
  if (lines.length) return lines.shift();
  let timer: NodeJS.Timeout | undefined;
  const woke = await Promise.race([
    new Promise<true>((r) => onWake(() => r(true))),
    new Promise<false>((r) => (timer = setTimeout(() => r(false), Math.max(0, ms)))),
  ]);
  clearTimeout(timer);
  return woke ? lines.shift() : undefined;
}
