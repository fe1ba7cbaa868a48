/**
 * How tests give a command a real terminal: script(1) allocates a pty and our pipe becomes its keyboard.
 * `exec`: whatever $SHELL script(1) starts, no non-interactive shell stays between the pty and the command (dash
 * would, would die of the terminal's ^C itself and hand script(1) its 130 instead of the command's status).
 */
export function inTerminal(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
): { file: string; args: string[]; env: NodeJS.ProcessEnv } {
  const line = `exec ${argv.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ')}`;
  return {
    file: 'script',
    args: ['-qfec', line, '/dev/null'],
    env: { ...env, SHELL: env.SHELL || '/bin/sh' },
  };
}
