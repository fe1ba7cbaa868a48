import { describe, expect } from 'vitest';
import type { VmSpec } from '../lab/vm.js';
import { labContext } from '../support/lab-context.js';
import { DEFAULT_FUNCTIONS, TraceRun } from './loader-run.js';
import { pushLoader, type VmHost } from './vm-loader.js';

// SIGKILL with function probes attached (kprobe, kprobe-multi, fentry) in the VMs: nothing may be left. Everything
// pktpath attaches there is a link or perf fd owned by the process; the kernel must drop it all.
const { state, labIt } = labContext();

// our program names as bpftool shows them (15 characters)
const OURS = /^(kprobe_skb_|kretprobe_skb|kmulti_|fentry_skb_|fexit_skb_|tp_|tc_ingress|tc_egress)/;

/** What of ours the VM's kernel still holds: programs, links, dynamic kprobe events, ftrace-hooked functions. */
async function leftovers(host: VmHost) {
  const r = await host.shell(
    [
      'bpftool -j prog show',
      'echo @@',
      'bpftool -j link show',
      'echo @@',
      'cat /sys/kernel/tracing/kprobe_events /sys/kernel/tracing/kprobe_profile',
      'echo @@',
      // functions with an ftrace hook (kprobes on ftrace sites, fprobes, trampolines): ours among them
      "grep -cE '^(ip_rcv|icmp_rcv|__dev_queue_xmit|kfree_skbmem) ' /sys/kernel/tracing/enabled_functions || true",
    ].join('\n'),
    { timeoutMs: 60_000 },
  );
  expect(r.code, r.stderr).toBe(0);
  const [progs, links, kprobes, hooked] = r.stdout.split('@@\n') as [string, string, string, string];
  const names = (JSON.parse(progs) as { id: number; name?: string }[]).filter((p) => OURS.test(p.name ?? ''));
  const ids = new Set(names.map((p) => p.id));
  return {
    progs: names.map((p) => p.name),
    links: (JSON.parse(links) as { prog_id: number }[]).filter((l) => ids.has(l.prog_id)).length,
    kprobes: kprobes.split('\n').filter((l) => /pktpath|kprobe_skb|ip_rcv|icmp_rcv|kfree_skbmem/.test(l)),
    hooked: Number(hooked.trim()),
  };
}

/**
 * Each VM with the function backends its kernel runs (5.10: kprobes found by address, its eBPF lacks what fentry
 * and kprobe-multi programs need). `kprobeBrk`: its kprobes are breakpoints, not ftrace hooks (arm64 has no
 * CONFIG_KPROBES_ON_FTRACE), so enabled_functions never lists them.
 */
const KERNELS: { name: VmSpec['name']; release: string; backends: string[]; kprobeBrk?: boolean }[] = [
  { name: 'vm612', release: '6.12', backends: ['kprobe', 'kprobe-multi', 'fentry'] },
  { name: 'vm510', release: '5.10', backends: ['kprobe'] },
  { name: 'vmarm64', release: 'arm64 6.12', backends: ['kprobe', 'fentry'], kprobeBrk: true },
];

for (const { name, release, backends, kprobeBrk } of KERNELS)
  describe(`fault tests in the ${release} VM`, () => {
    labIt({ hosts: [name] })(
      `SIGKILL mid-trace with ${backends.join(' or ')} attached leaves no program, link, kprobe or hook`,
      async () => {
        const host = await pushLoader(state!, name);
        expect(await leftovers(host)).toEqual({ progs: [], links: 0, kprobes: [], hooked: 0 });
        for (const attach of backends) {
          const config = { filter: 'icmp', attach, probes: { functions: DEFAULT_FUNCTIONS } };
          const run = new TraceRun(config, ['--json'], host.via);
          await run.waitFor('attached', 120_000);
          const during = await leftovers(host); // control: the checks see what a live run holds
          expect(during.progs.length, attach).toBeGreaterThan(0);
          expect(during.hooked, attach).toBe(attach === 'kprobe' && kprobeBrk ? 0 : 4);
          const k = await host.shell('kill -9 $(pidof pktpath-loader)', { timeoutMs: 30_000 });
          expect(k.code, k.stderr).toBe(0);
          await run.exited;
          // the kernel releases links and programs once the last fd is gone (after an RCU grace period)
          let left = await leftovers(host);
          for (let i = 0; i < 20 && (left.progs.length || left.links || left.hooked); i++) {
            await new Promise((r) => setTimeout(r, 500));
            left = await leftovers(host);
          }
          expect(left, attach).toEqual({ progs: [], links: 0, kprobes: [], hooked: 0 });
        }
      },
      300_000,
    );
  });
