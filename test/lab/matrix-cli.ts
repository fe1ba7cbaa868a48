// npm run lab:matrix — measures every lab kernel and writes docs/SUPPORT-MATRIX.md (test/lab/support-matrix.ts).
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { readLabState } from './lab.js';
import { measureMatrix, renderMatrix } from './support-matrix.js';

const out = resolve(import.meta.dirname, '../../docs/SUPPORT-MATRIX.md');
const main = async () => {
  const state = readLabState();
  if (!state) throw new Error('the lab is down (npm run lab:up)');
  const t0 = Date.now();
  const text = renderMatrix(await measureMatrix(state));
  writeFileSync(out, text);
  console.log(`${out} written (measured in ${((Date.now() - t0) / 1000).toFixed(0)} s)`);
};
main().catch((e: unknown) => {
  console.error(`lab:matrix: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
});
