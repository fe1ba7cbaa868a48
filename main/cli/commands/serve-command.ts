import { startBrowserMode } from '../../server/index.js';
import { intOption, parseCommand } from '../args.js';
import type { CliContext } from '../cli-context.js';

/**
 * After SIGINT/SIGTERM, how long the clean shutdown (clients closed, prompts cancelled, every run stopped and
 * detached) may take before the process exits anyway: a loader whose channel dies with us sees stdin EOF and
 * detaches by itself, so a forced exit still leaves nothing attached.
 */
export const SHUTDOWN_BUDGET_MS = 1500;

/** Browser mode: the core behind a loopback HTTP/WebSocket server; runs until Ctrl-C or SIGTERM. */
export async function serveCommand(argv: readonly string[], ctx: CliContext): Promise<number> {
  const { values } = parseCommand(
    'serve',
    argv,
    { port: { type: 'string' } },
    { min: 0, max: 0, names: '[--port N]' },
  );
  const port = intOption('serve', 'port', values.port, 0);
  const core = await ctx.core();
  const server = await startBrowserMode({
    handler: core,
    onError: (m) => ctx.io.err(`pktpath: ${m}`),
    ...(port !== undefined ? { port } : {}),
  });
  ctx.io.out(server.url);
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    const first = (s: NodeJS.Signals) => {
      process.off('SIGINT', first);
      process.off('SIGTERM', first);
      resolve(s);
    };
    process.on('SIGINT', first);
    process.on('SIGTERM', first);
  });
  // From here a second signal gets the default action: exit at once.
  setTimeout(() => {
    ctx.io.err(`pktpath: ${signal}: shutdown took over ${SHUTDOWN_BUDGET_MS} ms, exiting`);
    process.exit(1);
  }, SHUTDOWN_BUDGET_MS).unref();
  await server.close();
  await core.close();
  return 0;
}
