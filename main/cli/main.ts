import { once } from 'node:events';
import { runCli } from './run.js';

process.exitCode = await runCli(process.argv.slice(2), {
  out: (s) => console.log(s),
  err: (s) => console.error(s),
  drained: async () => void (process.stdout.writableNeedDrain && (await once(process.stdout, 'drain'))),
  stdin: process.stdin,
  isTTY: Boolean(process.stdin.isTTY),
});
