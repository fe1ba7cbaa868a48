import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect } from 'vitest';
import { labContext } from '../support/lab-context.js';
import { MATRIX_HOSTS, measureMatrix, renderMatrix } from './support-matrix.js';

// docs/SUPPORT-MATRIX.md is generated (npm run lab:matrix), never hand-written: measure every lab kernel again and
// require the committed file to say exactly what the lab measures now.
const { lab, labIt } = labContext();
const committed = resolve(import.meta.dirname, '../../docs/SUPPORT-MATRIX.md');

describe('the support matrix (docs/SUPPORT-MATRIX.md)', () => {
  labIt({ hosts: MATRIX_HOSTS })(
    'agrees with a fresh measurement of every lab kernel (regenerate with npm run lab:matrix)',
    async () => {
      const measured = await measureMatrix(lab());
      // control: the measurement is not empty or vacuous — every host probed, each a row per backend, and at
      // least one full trace per host (every lab kernel but 5.10 traces; 5.10's refusal is a row too)
      expect(measured.map((m) => m.facts.host)).toEqual(MATRIX_HOSTS);
      for (const m of measured) expect(m.rows).toHaveLength(4);
      const traced = measured.filter((m) => m.rows.some((r) => r.trace === 'ok')).map((m) => m.facts.host);
      expect(traced).toEqual(expect.arrayContaining(['vm61', 'vm612', 'local', 'vmarm64']));
      // this machine's own kernel build tag differs between machines of one kind (6.18.44-fc-v595, -v657): the
      // committed file's `local` release stands for whichever build runs here, every other fact must agree
      const doc = readFileSync(committed, 'utf8');
      const docLocal = /^\| local \| (\S+) \|/m.exec(doc)?.[1];
      const here = measured.find((m) => m.facts.host === 'local')?.facts.release;
      expect(docLocal, 'the committed matrix has a local row').toBeDefined();
      expect(renderMatrix(measured)).toBe(here && docLocal ? doc.replaceAll(docLocal, here) : doc);
    },
    900_000,
  );
});
