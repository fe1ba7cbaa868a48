import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject } from 'vitest';
import { gatedIt, missing } from '../support/requirements.js';

// A broken or hostile loader cannot take the client down: the real core (createCore, trace.start on `local`,
// spawned through the privilege wrapper) runs a stand-in loader from a throwaway resources dir, in a process of
// its own whose peak RSS is measured. Each breakage ends the run with `loader-protocol`, the loader killed, and
// what was recorded kept in a run file; a well-formed flood without a packet limit stays in bounded memory.
const provided = inject('lab');
const gap = 'unavailable' in provided ? provided.unavailable : missing({ root: true, tools: ['node'] });
const itRoot = gatedIt(gap);
/** Far below what the old client reached in seconds (it kept every packet and every byte it was sent). */
const RSS_BOUND_MIB = 250;

let scratch: string;
let resources: string;
beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'pktpath-hostile-'));
  resources = join(scratch, 'resources');
  mkdirSync(join(resources, 'x86_64'), { recursive: true });
  const loader = join(resources, 'x86_64', 'pktpath-loader');
  copyFileSync(join(import.meta.dirname, 'fixtures', 'hostile-loader.mjs'), loader);
  const bytes = readFileSync(loader);
  writeFileSync(
    join(resources, 'manifest.json'),
    JSON.stringify({
      version: 1,
      artifacts: {
        'x86_64/pktpath-loader': {
          arch: 'x86_64',
          sha256: createHash('sha256').update(bytes).digest('hex'),
          size: statSync(loader).size,
        },
      },
    }),
  );
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

interface Outcome {
  error?: { code: string; message: string };
  recorded?: { file: string; packets: number };
  opened?: number;
  last?: number;
  peakRssMiB: number;
  ms: number;
}

function trace(mode: string, durationS = 30): Outcome {
  const home = mkdtempSync(join(scratch, `${mode}-`));
  const out = execFileSync(
    process.execPath,
    [
      '--max-old-space-size=1024', // a regression fails fast (out of memory) instead of eating the shared machine
      '--import',
      'tsx',
      join(import.meta.dirname, 'fixtures', 'trace-with-loader.ts'),
      home,
      resources,
      mode,
      String(durationS),
    ],
    { encoding: 'utf8', timeout: 60_000 },
  );
  return JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as Outcome;
}

describe('a hostile loader', () => {
  for (const [mode, why] of [
    ['huge-frame', /frame length 1073741824/],
    ['no-framing', /without a newline/],
    ['endless-hops', /more than 16384 hops for packet 1/],
  ] as const)
    itRoot(`${mode}: a typed error, the loader killed, bounded memory`, () => {
      const r = trace(mode);
      expect(r.error).toMatchObject({ code: 'loader-protocol', message: expect.stringMatching(why) });
      expect(r.recorded?.file).toBeTruthy(); // what was recorded is kept
      expect(r.peakRssMiB).toBeLessThan(RSS_BOUND_MIB);
    });

  itRoot('ignoring its duration and a stop: killed by the client after duration + grace', () => {
    const r = trace('ignores-duration', 1);
    expect(r.error).toMatchObject({
      code: 'loader-protocol',
      message: expect.stringMatching(/did not stop at the 1 s/),
    });
    expect(r.ms).toBeLessThan(25_000); // 1 s + 5 s grace + 10 s to stop
  });

  itRoot('a flood without a packet limit: bounded memory, every packet in an openable run file', () => {
    const r = trace('flood');
    expect(r.error).toBeUndefined();
    expect(r.recorded!.packets).toBeGreaterThan(10_000);
    expect(r.opened).toBe(r.recorded!.packets);
    expect(r.last).toBe(r.recorded!.packets); // ids 1…N in order, none lost or repeated
    expect(r.peakRssMiB).toBeLessThan(RSS_BOUND_MIB);
  });
});
