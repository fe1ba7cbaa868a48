import { runCli } from './run.js';

process.exitCode = runCli(
  process.argv.slice(2),
  (s) => console.log(s),
  (s) => console.error(s),
);
