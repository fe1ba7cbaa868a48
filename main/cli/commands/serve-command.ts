import { startBrowserMode } from '../../server/index.js';
import { intOption, parseCommand } from '../args.js';
import type { CliContext } from '../cli-context.js';

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
  const server = await startBrowserMode({ handler: core, ...(port !== undefined ? { port } : {}) });
  ctx.io.out(server.url);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await server.close();
  return 0;
}
