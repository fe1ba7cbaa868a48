import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect } from 'vitest';
import { labContext } from '../support/lab-context.js';
import { localShell } from './exec.js';
import { SCENARIOS } from './scenarios/index.js';
import { runScenario } from './scenarios/run-scenario.js';

// Issue 9's scenarios on this machine's kernel (raw tracepoints): each breaks a netns topology in one known way,
// traces the traffic with the built CLI (`node bin/pktpath.mjs trace local --json`) and checks the packet's verdict,
// its diagnosis rule and that the diagnosis names the concrete objects. `PKTPATH_RECORD_SCENARIOS=1` also keeps each
// trace as a fixture for the rule library's unit tests (test/unit/fixtures/diagnose/).
const { labIt } = labContext();
const scratch = mkdtempSync(join(tmpdir(), 'pktpath-diagnose-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const env = { ...process.env, HOME: join(scratch, 'user'), PKTPATH_HOME: join(scratch, 'home') };
mkdirSync(env.HOME, { recursive: true });
const only = process.env.PKTPATH_SCENARIOS?.split(',');

describe('diagnosis scenarios (this kernel, tracepoints)', () => {
  for (const [name, s] of Object.entries(SCENARIOS)) {
    if (!s.hosts.includes('local') || (only && !only.includes(name))) continue;
    const it = labIt({ needs: { root: true, tools: ['ip', 'nft', 'ping', 'nc', ...(s.tools ?? [])] } });
    it(`${name}: ${s.verdict}, diagnosis ${s.rule}, naming the objects`, async () => {
      const r = await runScenario(s, { shell: localShell, host: 'local', env, name });
      const p = r.packet;
      expect(p, `no packet picked among ${r.doc.packets.length}: ${r.text.slice(0, 4000)}`).toBeDefined();
      expect(p!.verdict?.kind).toBe(s.verdict);
      expect(p!.diagnosis?.rule, JSON.stringify(p, null, 1)).toBe(s.rule);
      for (const n of r.names) expect(p!.diagnosis!.summary).toContain(n);
      expect(p!.diagnosis!.advice.length).toBeGreaterThan(0);
      if (s.linked) expect(p!.diagnosis!.evidence.map((e) => e.kind)).toContain('link');
    });
  }
});
