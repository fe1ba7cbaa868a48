#!/usr/bin/env node
// Entry point of the `pktpath` command: runs the compiled CLI (npm run build, done by npm install's prepare).
import { existsSync } from 'node:fs';

const cli = new URL('../dist/main/cli/main.js', import.meta.url);
if (!existsSync(cli)) {
  console.error('pktpath: not built yet: run `npm run build` in ' + new URL('..', import.meta.url).pathname);
  process.exit(1);
}
await import(cli.href);
