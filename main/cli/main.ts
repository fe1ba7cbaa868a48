import { runCli } from './run.js';

process.exitCode = await runCli(process.argv.slice(2), {
  out: (s) => console.log(s),
  err: (s) => console.error(s),
  stdin: process.stdin,
  isTTY: Boolean(process.stdin.isTTY),
});
