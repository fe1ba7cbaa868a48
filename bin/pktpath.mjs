#!/usr/bin/env node
// Entry point of the `pktpath` command: runs the compiled CLI (npm run build, done by npm install's prepare).
import { existsSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';

// A trace of a flood allocates fast and keeps little (packets live until written). V8 then lets the heap grow to
// ~4× its live set between full collections: ~300 MiB RSS for a ~45 MiB live set. Growing by half instead keeps
// the CLI and `serve` near 150–180 MiB with the same packet rate (measured with test/e2e/trace-bounded.test.ts).
// Read by V8 at every full collection, so setting it here, before the core loads, takes effect.
setFlagsFromString('--heap-growing-percent=50');

const cli = new URL('../dist/main/cli/main.js', import.meta.url);
if (!existsSync(cli)) {
  console.error('pktpath: not built yet: run `npm run build` in ' + new URL('..', import.meta.url).pathname);
  process.exit(1);
}
await import(cli.href);
