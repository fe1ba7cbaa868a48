import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Writes a bench's result file, making its directory first: a bench run on its own (e.g. `npx tsx
 * bench/tracer/tracer.bench.ts`) has no bench/results/ yet, and a half-hour VM run must not end in ENOENT with its
 * figures unwritten.
 */
export function writeResult(file: string, result: unknown): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
}
