import type { LimitFindingInput, LimitFinding } from '../../api/limits.js';
import { LimitFindingSchema } from '../../api/limits.js';
import type { ProbeFacts } from '../../api/trace.js';
import type { BtfMarker } from './preflight-script.js';
import type { KeyValues, PreflightRaw } from './preflight.js';

/** What the loader needs of a kernel, in the words every finding uses. */
export const LOADER_FLOOR =
  'pktpath-loader needs BTF for any program (kernels without BPF atomic fetch-add, before 5.12, run its compat ' +
  'object), bpf_get_func_ip (5.15) for fentry probes, bpf_get_attach_cookie (5.15) for kprobe-multi and kprobe ' +
  'return values (before it kprobes find their function by address), and bpf_get_func_arg/ret (5.17) for fexit ' +
  'return values';

/** Helpers by the BTF enum constant that shows them, what each one's absence costs, and the attach kinds whose
 * refusal by the loader's probe it explains. */
const HELPERS: { marker: BtfMarker; helper: string; blocks: string; kinds: string[] }[] = [
  { marker: 'BPF_FUNC_get_func_ip', helper: 'bpf_get_func_ip', blocks: 'fentry probes', kinds: ['fentry'] },
  {
    marker: 'BPF_FUNC_get_attach_cookie',
    helper: 'bpf_get_attach_cookie',
    blocks: 'kprobe-multi probes and kprobe return values',
    kinds: ['kprobe-multi'],
  },
  { marker: 'BPF_FUNC_get_func_arg', helper: 'bpf_get_func_arg', blocks: 'fexit return probes', kinds: [] },
  { marker: 'BPF_FUNC_get_func_ret', helper: 'bpf_get_func_ret', blocks: 'fexit return probes', kinds: [] },
];

interface Seen {
  raw: PreflightRaw;
  login: KeyValues;
  root: KeyValues;
  facts: ProbeFacts | undefined;
  probeError: string | undefined;
}

const one = (kv: KeyValues, key: string) => kv.get(key)?.[0];
const all = (kv: KeyValues, key: string) => kv.get(key) ?? [];
const ev = (kv: KeyValues, ...keys: string[]) => keys.flatMap((k) => all(kv, k).map((v) => `${k}=${v}`));
/** A mount line `MOUNTPOINT OPTS` → its options. */
const mountOpts = (line: string | undefined) => (line?.split(' ').pop() ?? '').split(',');
const config = (root: KeyValues, option: string): 'y' | 'm' | 'n' | undefined => {
  const v = all(root, 'config').find((c) => c.startsWith(`${option}=`));
  return v?.slice(option.length + 1) as 'y' | 'm' | 'n' | undefined;
};
const hasMarker = (root: KeyValues, m: BtfMarker) => all(root, 'btf.has').includes(m);

function noRoot({ raw, login }: Seen): LimitFindingInput[] {
  if (!raw.rootError) return [];
  const who = one(login, 'user') ?? 'the login user';
  const advice: Record<PreflightRaw['privilege'], string> = {
    root: `log in as root, or set the host's privilege to sudo (or doas) for ${who}`,
    sudo:
      `give ${who} a NOPASSWD sudo rule, or set the host's privilege to sudo-password if ${who} may sudo with ` +
      `a password (pktpath then asks for it), or log in as root`,
    'sudo-password': `check the password and that ${who} is in sudoers (sudo -l as ${who})`,
    doas: `add "permit nopass ${who}" to doas.conf, or use sudo or root`,
  };
  return [
    {
      id: 'no-root',
      severity: 'error',
      summary: `${who} cannot become root with ${raw.privilege}: the loader runs only as root`,
      advice: advice[raw.privilege],
      evidence: [raw.rootError, ...ev(login, 'uid', 'groups', 'tool')],
    },
  ];
}

function cache({ login }: Seen): LimitFindingInput[] {
  const dir = one(login, 'cache.dir') ?? '~/.cache/pktpath';
  const opts = mountOpts(one(login, 'cache.mount'));
  const evidence = ev(login, 'cache.dir', 'cache.existing', 'cache.writable', 'cache.mount');
  const out: LimitFindingInput[] = [];
  if (one(login, 'cache.writable') === '0')
    out.push({
      id: 'cache-readonly',
      severity: 'error',
      summary:
        `${dir} cannot be written by ${one(login, 'user') ?? 'the login user'}` +
        (opts.includes('ro') ? ' (read-only mount)' : '') +
        ': the loader cannot be uploaded',
      advice:
        'make ~/.cache writable for the login user (or a symlink to a writable directory); a loader ' +
        'deploy option for another directory would lift this',
      evidence,
    });
  if (opts.includes('noexec'))
    out.push({
      id: 'cache-noexec',
      severity: 'warning',
      summary:
        `${dir} is on a noexec mount: traces still run (root runs its own verified copy elsewhere), but ` +
        'filter checks, which run the uploaded loader as the login user, fail',
      advice: 'remount that filesystem without noexec or point ~/.cache at one that allows execution',
      evidence,
    });
  return out;
}

function execDirs({ root }: Seen): LimitFindingInput[] {
  const dirs = all(root, 'execdir');
  if (!dirs.length || !dirs.every((d) => mountOpts(d).includes('noexec'))) return [];
  return [
    {
      id: 'no-exec-dir',
      severity: 'error',
      summary:
        '/run, /tmp and /var/tmp are all noexec: root has nowhere to run its verified copy of the loader',
      advice: 'allow execution on one of them (e.g. /run or /var/tmp)',
      evidence: ev(root, 'execdir'),
    },
  ];
}

function btf({ root }: Seen): LimitFindingInput[] {
  if (one(root, 'btf') !== '0') return [];
  const cfg = config(root, 'DEBUG_INFO_BTF');
  return [
    {
      id: 'no-btf',
      severity: 'error',
      summary:
        'no kernel BTF (/sys/kernel/btf/vmlinux): the loader cannot relocate its programs or find skb functions' +
        (cfg === 'n' ? ' (CONFIG_DEBUG_INFO_BTF is off)' : ''),
      advice:
        'boot a kernel built with CONFIG_DEBUG_INFO_BTF=y (Debian 11+, Ubuntu 20.10+, RHEL 8.2+, Fedora ' +
        'ship one). BTFHub (github.com/aquasecurity/btfhub-archive) has BTF for older distribution kernels, ' +
        'but the loader reads only the running kernel’s own; a loader --btf option would accept such a file',
      evidence: [...ev(root, 'btf', 'config.file'), ...(cfg ? [`CONFIG_DEBUG_INFO_BTF=${cfg}`] : [])],
    },
  ];
}

/**
 * The active lockdown level: securityfs's `[mode]`; without securityfs, the strictest of the boot's `lockdown=`
 * and a forced level in the kernel config (the kernel enforces the stricter).
 */
function lockdownMode(root: KeyValues): { mode: string | undefined; evidence: string[] } {
  const file = /\[(\w+)\]/.exec(one(root, 'lockdown') ?? '')?.[1];
  if (file) return { mode: file, evidence: ev(root, 'lockdown') };
  if (one(root, 'lockdown') !== 'unknown') return { mode: undefined, evidence: [] };
  const boot = /(?:^| )(lockdown=(integrity|confidentiality))\b/.exec(one(root, 'cmdline') ?? '');
  const forced = ['CONFIDENTIALITY', 'INTEGRITY'].find(
    (l) => config(root, `LOCK_DOWN_KERNEL_FORCE_${l}`) === 'y',
  );
  const levels = [boot?.[2], forced?.toLowerCase()];
  const mode = levels.includes('confidentiality') ? 'confidentiality' : levels.find(Boolean);
  if (!mode) return { mode: undefined, evidence: [] };
  return {
    mode,
    evidence: [
      'lockdown=unknown (securityfs not mounted)',
      ...(boot ? [`cmdline: ${boot[1]}`] : []),
      ...(forced ? [`CONFIG_LOCK_DOWN_KERNEL_FORCE_${forced}=y`] : []),
      ...all(root, 'lockdown.log'),
    ],
  };
}

function lockdown({ root }: Seen): LimitFindingInput[] {
  const { mode, evidence } = lockdownMode(root);
  if (!mode || mode === 'none') return [];
  if (mode === 'integrity')
    return [
      {
        id: 'lockdown',
        severity: 'warning',
        summary:
          'kernel lockdown is "integrity": debugfs (so /sys/kernel/debug/tracing), bpf_probe_write_user and ' +
          'unsigned modules are blocked; pktpath needs none of them, and reads kernel memory only',
        advice:
          'nothing to do for pktpath (tracefs must be reachable at /sys/kernel/tracing); any attach kind still ' +
          'refused is listed on its own',
        evidence,
      },
    ];
  return [
    {
      id: 'lockdown',
      severity: 'error',
      summary:
        `kernel lockdown is "${mode}": kprobes, bpf_probe_read_kernel, perf events and tracefs are blocked, so ` +
        'no pktpath probe can read a packet',
      advice:
        'boot with lockdown=integrity or none (lockdown= on the kernel command line; with Secure Boot, disable ' +
        'it or the distribution’s lockdown-on-secure-boot), then probe again',
      evidence,
    },
  ];
}

function kprobes({ root }: Seen): LimitFindingInput[] {
  if (!root.size) return []; // root's script never ran: nothing is known
  const cfg = config(root, 'KPROBES');
  const absent = cfg ? cfg === 'n' : !hasMarker(root, 'register_kprobe') && !all(root, 'kprobe.pmu').length;
  const evidence = [
    ...ev(root, 'config.file'),
    ...all(root, 'config').filter((c) => /^K?[FP]?PROBE/.test(c)),
  ];
  if (absent)
    return [
      {
        id: 'no-kprobes',
        severity: 'warning',
        summary: 'this kernel has no kprobes (CONFIG_KPROBES off): no kprobe or kprobe-multi probes',
        advice:
          'function probes use fentry where the kernel allows it; otherwise only raw tracepoints and TC run. ' +
          'A kernel with CONFIG_KPROBES=y (and CONFIG_FPROBE=y for kprobe-multi) gives every backend',
        evidence: evidence.length ? evidence : ['btf lacks register_kprobe', 'no kprobe PMU'],
      },
    ];
  const fprobe = config(root, 'FPROBE');
  if (fprobe ? fprobe !== 'n' : hasMarker(root, 'register_fprobe_ips')) return [];
  return [
    {
      id: 'no-fprobe',
      severity: 'info',
      summary:
        'no fprobe (CONFIG_FPROBE off): no kprobe-multi, so many function probes attach and detach slowly',
      advice: 'auto picks fentry or kprobe instead; a kernel with CONFIG_FPROBE=y (5.18+) adds kprobe-multi',
      evidence: evidence.length ? evidence : ['btf lacks register_fprobe_ips'],
    },
  ];
}

function tracefs({ root }: Seen): LimitFindingInput[] {
  if (!root.size || all(root, 'tracefs').length) return [];
  return [
    {
      id: 'tracefs-unmounted',
      severity: 'warning',
      summary:
        'tracefs is not mounted: available_filter_functions (which skb functions can be probed) is unreadable ' +
        'until the loader mounts it at /sys/kernel/tracing when it runs as root',
      advice:
        'nothing needed where root may mount it; otherwise mount it: mount -t tracefs nodev /sys/kernel/tracing',
      evidence: ['no tracefs in /proc/mounts'],
    },
  ];
}

function lsm({ root }: Seen): LimitFindingInput[] {
  const denials = all(root, 'denial');
  const out: LimitFindingInput[] = [];
  const selinuxDenials = denials.filter((d) => d.includes('avc:'));
  if (one(root, 'selinux.enforce') === '1' || selinuxDenials.length)
    out.push({
      id: 'selinux',
      severity: selinuxDenials.length ? 'error' : 'info',
      summary: selinuxDenials.length
        ? 'SELinux denied BPF or perf access (see evidence): the loader’s programs or links may be refused'
        : 'SELinux is enforcing: a policy without bpf and perfmon permissions for the loader’s domain denies it',
      advice:
        'allow bpf/perfmon for the domain that runs the loader (audit2allow on the denials), or run it in an ' +
        'unconfined domain',
      evidence: [...ev(root, 'selinux.enforce'), ...selinuxDenials],
    });
  const aaDenials = denials.filter((d) => d.includes('apparmor="DENIED"'));
  if (aaDenials.length)
    out.push({
      id: 'apparmor',
      severity: 'error',
      summary:
        'AppArmor denied BPF or perf access (see evidence): the loader’s programs or links may be refused',
      advice: 'add bpf, perfmon and sys_admin to the profile confining the loader (or sudo), or unconfine it',
      evidence: [...ev(root, 'apparmor.enabled', 'apparmor.profiles'), ...aaDenials],
    });
  return out;
}

const missingHelpers = (root: KeyValues) =>
  one(root, 'btf') === '1' ? HELPERS.filter((h) => !hasMarker(root, h.marker)) : [];

function loader({ root, facts }: Seen): LimitFindingInput[] {
  const missing = missingHelpers(root);
  const helperEvidence = missing.map((h) => `BTF enum bpf_func_id lacks ${h.marker}`);
  if (facts?.loadCheck && !facts.loadCheck.ok)
    return [
      {
        id: 'loader-refused',
        severity: 'error',
        summary:
          'this kernel’s BPF verifier refuses pktpath’s programs: nothing can be traced here ' +
          `(the loader: "${facts.loadCheck.error ?? 'load failed'}")`,
        advice:
          `${LOADER_FLOOR}. ` +
          (missing.length
            ? `This kernel lacks ${missing.map((h) => h.helper).join(', ')}, so it is below that floor: `
            : 'This kernel has the helpers, yet its verifier refuses the programs: ') +
          'boot a newer kernel (e.g. Debian 12’s 6.1); the loader run with PKTPATH_LOADER_DEBUG=1 on the host ' +
          'prints the verifier’s own log (docs/LOADER.md)',
        evidence: [`load check: ${facts.loadCheck.error ?? 'failed'}`, ...helperEvidence],
      },
    ];
  if (!missing.length) return [];
  const noCookie = missing.some((h) => h.helper === 'bpf_get_attach_cookie');
  return [
    {
      id: 'helpers-missing',
      severity: 'warning',
      summary: `BPF helpers missing: ${missing.map((h) => `${h.helper} (${h.blocks})`).join(', ')}`,
      advice:
        `${LOADER_FLOOR}; auto falls back to the backends that load, else to tracepoints and TC` +
        (noCookie ? ': here kprobes, each found by its address, without return values' : ''),
      evidence: helperEvidence,
    },
  ];
}

/** Attach kinds the loader's probe saw refused that no finding above already explains. */
function attach({ facts, root }: Seen): LimitFindingInput[] {
  if (!facts) return [];
  const explained = new Set<string>();
  const noKprobes = kprobes({ root } as Seen);
  if (noKprobes.some((f) => f.id === 'no-kprobes'))
    ['kprobe', 'kprobe-multi'].forEach((k) => explained.add(k));
  if (noKprobes.some((f) => f.id === 'no-fprobe')) explained.add('kprobe-multi');
  for (const h of missingHelpers(root)) h.kinds.forEach((k) => explained.add(k)); // said by helpers-missing
  if (facts.attach.tc?.ok) explained.add('tcx'); // classic TC stands in for TCX (kernels < 6.6)
  return Object.entries(facts.attach)
    .filter(([kind, r]) => !r.ok && !explained.has(kind))
    .map(([kind, r]) => ({
      id: 'attach-refused' as const,
      severity: kind === 'raw-tp' ? ('error' as const) : ('warning' as const),
      summary:
        `the kernel refused a test ${kind === 'fentry' ? 'tracing (fentry) ' : `${kind} `}program: ` +
        `${r.error ?? 'attach failed'}`,
      advice:
        kind === 'raw-tp'
          ? 'raw tracepoints are the base of every trace: check lockdown, LSM denials and CONFIG_BPF_EVENTS'
          : facts.auto === 'none'
            ? `${kind} is skipped and no function backend attaches: only raw tracepoints and TC run`
            : `${kind} is skipped; auto uses ${facts.auto}`,
      evidence: [`attach.${kind}: ${r.error ?? 'failed'}`],
    }));
}

function probeFailed({ probeError }: Seen): LimitFindingInput[] {
  if (!probeError) return [];
  return [
    {
      id: 'probe-failed',
      severity: 'error',
      summary: `the loader's probe failed: ${probeError}`,
      advice: 'see the other findings; probe again with --refresh once they are fixed',
      evidence: [probeError],
    },
  ];
}

const CHECKS = [noRoot, cache, execDirs, btf, lockdown, loader, kprobes, tracefs, lsm, attach, probeFailed];
const ORDER = { error: 0, warning: 1, info: 2 } as const;

/** Every limit the preflight's output and the loader's own results show, errors first. */
export function findLimits(
  raw: PreflightRaw,
  facts: ProbeFacts | undefined,
  probeError?: string,
): LimitFinding[] {
  const seen: Seen = {
    raw,
    login: raw.login ?? new Map(),
    root: raw.root ?? new Map(),
    facts,
    probeError: raw.rootError ? undefined : probeError, // no-root already says why
  };
  return CHECKS.flatMap((check) => check(seen))
    .map((f) => LimitFindingSchema.parse(f))
    .sort((a, b) => ORDER[a.severity] - ORDER[b.severity]);
}
