import { defineConfig } from 'vitest/config';

// Two projects: `unit` needs nothing but Node; `lab` needs the real-kernel lab (root, sshd, qemu VMs), which its
// global setup brings up once per run (or reuses from `npm run lab:up`).
export default defineConfig({
  test: {
    reporters: ['default', './test/support/summary-reporter.ts'],
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          // The projects run one after another (unit, browser, lab): the fuzzers and Chromium beside the lab's
          // 20-host and flood cases on 2 cores made those time out in CI, measuring the machine, not pktpath.
          sequence: { groupOrder: 0 },
          // Some unit tests read the whole tree or a kernel's BTF: 5 s (the default) failed four of them on a busy
          // 2-core machine while the lab project ran beside them.
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'browser',
          include: ['test/browser/**/*.test.ts', 'test/electron/**/*.test.ts'],
          sequence: { groupOrder: 1 },
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'lab',
          include: ['test/lab/**/*.test.ts', 'test/tracer/**/*.test.ts', 'test/e2e/**/*.test.ts'],
          sequence: { groupOrder: 2 },
          globalSetup: ['test/lab/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 600_000,
          // Lab tests share kernels and VMs on a 2-core machine: one file at a time keeps timings honest.
          fileParallelism: false,
        },
      },
    ],
  },
});
