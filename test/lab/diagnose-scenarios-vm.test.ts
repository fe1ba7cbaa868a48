import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { labContext } from '../support/lab-context.js';
import { writeLabInventory } from './inventory.js';
import { labTarget } from './lab.js';
import { SCENARIOS } from './scenarios/index.js';
import { runScenario } from './scenarios/run-scenario.js';
import { sshShell } from './ssh-client.js';

// The scenarios that need what this machine's kernel lacks (sch_netem) or where kprobes show the function that
// decided a drop, on the Debian 6.12 VM: the built CLI traces `vm612` over SSH (auto: fentry), the topology is
// built there as root. And a few on Debian 11's 5.10 (vm510: raw tracepoints and TC only, kfree_skb without a
// reason), where the diagnosis rests on the drop's caller, its stack and the host context. Python-driven scenarios
// stay on this machine (the VM images have no Python).
const { state, lab, labIt } = labContext();
const VMS = [
  { host: 'vm612', title: 'Debian 6.12 VM, fentry' },
  { host: 'vm510', title: 'Debian 11’s 5.10 VM, tracepoints and TC, no drop reasons' },
] as const;
const scratch = mkdtempSync(join(tmpdir(), 'pktpath-diagnose-vm-'));
const env = {
  ...process.env,
  HOME: join(scratch, 'user'),
  PKTPATH_HOME: join(scratch, 'home'),
  SSH_AUTH_SOCK: '',
};
beforeAll(() => {
  mkdirSync(env.HOME, { recursive: true });
  if (state) writeLabInventory(state, env.PKTPATH_HOME); // the VM's host key pinned: no prompt
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

for (const { host, title } of VMS)
  describe(`diagnosis scenarios (${title})`, () => {
    const it = labIt({ hosts: [host] });
    for (const [name, s] of Object.entries(SCENARIOS)) {
      if (!(s.hosts as readonly string[]).includes(host)) continue;
      it(`${name} on ${host}: ${s.verdict}, diagnosis ${s.rule}, naming the objects`, async () => {
        const shell = sshShell(labTarget(lab(), host), scratch);
        // TCG emulation on shared cores: the VM needs seconds for what takes milliseconds here
        const r = await runScenario(s, { shell, host, env, name: `${host}-${name}`, extraSettleMs: 3000 });
        const p = r.packet;
        expect(p, `no packet picked among ${r.doc.packets.length}: ${r.text.slice(0, 4000)}`).toBeDefined();
        expect(p!.verdict?.kind).toBe(s.verdict);
        expect(p!.diagnosis?.rule, JSON.stringify(p, null, 1)).toBe(s.rule);
        for (const n of r.names) expect(p!.diagnosis!.summary).toContain(n);
        if (s.linked) expect(p!.diagnosis!.evidence.map((e) => e.kind)).toContain('link');
      }, 180_000);
    }
  });
