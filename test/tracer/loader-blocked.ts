import { expect } from 'vitest';
import type { VmSpec } from '../lab/vm.js';
import { TraceRun } from './loader-run.js';
import { VM_LOADER, type VmHost } from './vm-loader.js';

/**
 * Lab kernels the committed loader cannot trace on yet, with the exact way it fails there. A test on such a kernel
 * asserts that failure instead of the trace (and that nothing stays attached): once the loader is fixed the
 * assertion fails, and the entry here goes so the full checks run.
 */
export interface LoaderBlock {
  /** The loader's one `error` record. */
  error: string;
  /** What the verifier says (libbpf prints its log with PKTPATH_LOADER_DEBUG=1). */
  verifierLog: string;
}

export const LOADER_BLOCKED: Partial<Record<VmSpec['name'], LoaderBlock>> = {
  // Debian 11's 5.10: the first program (tp_netif_receive_skb) uses an atomic fetch-and-add (BPF_ADD | BPF_FETCH,
  // a 5.12 instruction), so the skeleton fails for every backend, tracepoints included.
  vm510: {
    error: "load: Invalid argument: libbpf: failed to load BPF skeleton 'pktpath_bpf': -22",
    verifierLog: 'BPF_STX uses reserved fields',
  },
};

/** Starts a trace the way the tests do and asserts it ends with exactly the known load failure. */
export async function expectBlocked(host: VmHost, config: object, block: LoaderBlock): Promise<void> {
  const via = [...host.via.slice(0, -1), `PKTPATH_LOADER_DEBUG=1 ${VM_LOADER}`];
  const run = new TraceRun(config, ['--json'], via);
  const { code } = await run.exited;
  expect(run.records(), run.stderr).toEqual([{ type: 'error', error: block.error }]);
  expect(code).toBe(2);
  expect(run.stderr).toContain(block.verifierLog);
}
