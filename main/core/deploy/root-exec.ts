import { CoreError } from '../errors.js';
import type { CommandRunner, RunningCommand } from '../ssh/command-runner.js';
import { spawnRootScript, type PrivilegeOptions } from '../ssh/privileged.js';

/** The prefix of every refusal the root script prints, so a face can tell them from the loader's own words. */
export const ROOT_EXEC_TAG = 'pktpath-root-exec';

/**
 * Runs (after ROOT_PRELUDE, as root, PATH fixed) with `$1` = the file the login user deployed, `$2` = its expected
 * sha256, `$3` = its size, the rest = the loader's arguments. Root copies at most that many bytes of the file into a
 * fresh root-owned 0700 directory (the first of /run, /tmp, /var/tmp where a file can be executed: /run is noexec
 * on many hosts; the copy keeps the name pktpath-loader, so `ps` says what runs), hashes THAT copy with the
 * system's sha256sum (else busybox's), and executes the copy only if it matches: nothing the login user can change
 * after the check is ever run. Under sudo the file is read with the invoking user's uid (setpriv, where present), so
 * a path swapped for a symlink to a device is never opened by root. A background cleaner removes the directory as
 * soon as the shell has become the loader (it runs from the unlinked copy), or once the shell is gone if the exec
 * never happened.
 */
export const VERIFIED_EXEC_SCRIPT = `src=$1 want=$2 size=$3; shift 3
fail() { echo "${ROOT_EXEC_TAG}: $*" >&2; exit 125; }
d=
for base in /run /tmp /var/tmp; do
  c=$(mktemp -d "$base/pktpath.XXXXXXXX" 2>/dev/null) || continue
  printf '#!/bin/sh\\n' > "$c/x" && chmod 700 "$c/x" && "$c/x" 2>/dev/null && { d=$c; break; }
  rm -rf "$c"
done
[ -n "$d" ] || fail "no directory where root can run a file (/run, /tmp, /var/tmp)"
trap 'rm -rf "$d"' EXIT
trap 'exit 129' HUP; trap 'exit 130' INT; trap 'exit 143' TERM
{ [ -f "$src" ] && [ ! -h "$src" ]; } || fail "$src is not a regular file; deploy again"
if [ -n "\${SUDO_UID:-}" ] && command -v setpriv >/dev/null 2>&1; then
  setpriv --reuid="$SUDO_UID" --regid="$SUDO_GID" --init-groups head -c "$size" "$src" > "$d/pktpath-loader"
else head -c "$size" < "$src" > "$d/pktpath-loader"; fi || fail "cannot copy $src"
if command -v sha256sum >/dev/null 2>&1; then h=$(sha256sum < "$d/pktpath-loader")
elif command -v busybox >/dev/null 2>&1; then h=$(busybox sha256sum < "$d/pktpath-loader")
else fail "neither sha256sum nor busybox in $PATH"; fi || fail "cannot hash the copy of $src"
h=\${h%% *}
[ "$h" = "$want" ] || fail "$src hashes to $h as root, expected $want; refusing to run it"
chmod 700 "$d/pktpath-loader"
( while kill -0 $$ 2>/dev/null; do
    case $(readlink /proc/$$/exe 2>/dev/null) in "$d"/*) break ;; esac
    sleep 0.05 2>/dev/null || sleep 1
  done
  rm -rf "$d" ) </dev/null >/dev/null 2>&1 &
echo "__pktpath_ready_\${t}__" >&2
exec "$d/pktpath-loader" "$@"`;

/**
 * Runs the deployed loader at `path` as root, proven by root: see VERIFIED_EXEC_SCRIPT. A refusal is a
 * `deploy-failed` CoreError carrying the script's reason; failing to become root is a PrivilegeError as before.
 */
export function spawnVerifiedLoader(
  runner: CommandRunner,
  loader: { path: string; sha256: string; size: number },
  args: readonly string[],
  opts: PrivilegeOptions,
): Promise<RunningCommand> {
  return spawnRootScript(
    runner,
    VERIFIED_EXEC_SCRIPT,
    [loader.path, loader.sha256, String(loader.size), ...args],
    {
      ...opts,
      failedAsRoot: (why) => new RootExecRefusedError(runner.target, why),
    },
  );
}

/** Root would not run the loader: its copy did not match the shipped sha256, or could not be made. */
export class RootExecRefusedError extends CoreError {
  constructor(target: string, why: string) {
    super('deploy-failed', `${target}: ${why.startsWith(ROOT_EXEC_TAG) ? why : `${ROOT_EXEC_TAG}: ${why}`}`, {
      target,
    });
  }
}
