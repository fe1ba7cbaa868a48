import type { TestProject } from 'vitest/node';
import { inCI, missing } from '../support/requirements.js';
import { labDown, labUp, type LabHostName, type LabState } from './lab.js';

export type ProvidedLab = { state: LabState } | { unavailable: string };

declare module 'vitest' {
  export interface ProvidedContext {
    lab: ProvidedLab;
  }
}

export const LAB_TOOLS = [
  'sshd',
  'ssh',
  'ssh-keygen',
  'ip',
  'nft',
  'ping',
  'nc',
  'qemu-system-x86_64',
  'qemu-system-aarch64', // vmarm64 (issue 13)
  'bpftool',
  'sudo',
];

/**
 * Brings the lab up once for the whole run. Under CI a lab that cannot start fails the run; elsewhere the lab
 * tests skip with the reason. PKTPATH_LAB_VMS=0 leaves the VMs out (never under CI).
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const gap = missing({ root: true, tools: LAB_TOOLS });
  if (gap) {
    if (inCI) throw new Error(`the lab cannot start under CI: ${gap} (scripts/setup.sh installs it)`);
    project.provide('lab', { unavailable: gap });
    return async () => undefined;
  }
  const vms = inCI || process.env.PKTPATH_LAB_VMS !== '0';
  const t0 = Date.now();
  const { state, started } = await labUp({ vms, log: (l) => console.log(`[lab] ${l}`) });
  console.log(
    `[lab] up in ${((Date.now() - t0) / 1000).toFixed(1)} s (${started.length ? `started ${started.join(', ')}` : 'reused'})`,
  );
  project.provide('lab', { state });
  return async () => {
    // Leave running what the developer started with `npm run lab:up`; stop what this run started.
    if (process.env.PKTPATH_LAB_KEEP !== '1' && started.length) await labDown(started as LabHostName[]);
  };
}
