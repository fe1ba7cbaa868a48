import { shQuote, execCommand, type CommandRunner } from '../ssh/command-runner.js';
import { CoreError } from '../errors.js';

/**
 * sha256 of a file on the host: coreutils' sha256sum, else busybox's (minimal hosts and initramfs systems).
 * undefined when the file does not exist.
 */
export async function remoteSha256(runner: CommandRunner, path: string): Promise<string | undefined> {
  const f = shQuote(path);
  const script =
    `[ -f ${f} ] || exit 3; ` +
    `if command -v sha256sum >/dev/null 2>&1; then sha256sum < ${f}; ` +
    `elif command -v busybox >/dev/null 2>&1; then busybox sha256sum < ${f}; ` +
    `else echo "neither sha256sum nor busybox found" >&2; exit 127; fi`;
  const r = await execCommand(runner, script, { timeoutMs: 60_000 });
  if (r.code === 3) return undefined;
  const m = /^([0-9a-f]{64})\b/.exec(r.stdout.trim());
  if (r.code !== 0 || !m)
    throw new CoreError(
      'deploy-failed',
      `cannot hash ${path} on ${runner.target}: ${r.stderr.trim() || `exit ${r.code}`}`,
    );
  return m[1];
}
