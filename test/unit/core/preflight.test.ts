import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ProbeFactsSchema, type ProbeFacts } from '../../../main/api/trace.js';
import { findLimits } from '../../../main/core/probe/preflight-findings.js';
import { LOGIN_PREFLIGHT_SCRIPT, ROOT_PREFLIGHT_SCRIPT } from '../../../main/core/probe/preflight-script.js';
import { parseKeyValues, type PreflightRaw } from '../../../main/core/probe/preflight.js';

// The preflight on recorded output: what the scripts printed on the lab's real kernels (fixtures/preflight/, made
// by running the scripts there), edited line by line into the cases the lab cannot produce (lockdown, no BTF, LSM
// denials, noexec /run /tmp /var/tmp, a 5.12-5.14 kernel's helpers).
const fixture = (name: string) => readFileSync(join(import.meta.dirname, 'fixtures/preflight', name), 'utf8');
const vm510Root = fixture('vm510-5.10-root.txt');
const vm510Login = fixture('vm510-5.10-login.txt');
const vm612Root = fixture('vm612-6.12-root.txt');
const localRoot = fixture('local-6.18-root.txt');
const vm510Facts = ProbeFactsSchema.parse(JSON.parse(fixture('vm510-5.10-probe.json')));
const localFacts = ProbeFactsSchema.parse(
  JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures/probe-local-6.18.json'), 'utf8')),
);
const vm612Facts: ProbeFacts = {
  ...vm510Facts,
  attach: Object.fromEntries(Object.keys(vm510Facts.attach).map((k) => [k, { ok: true }])),
  auto: 'kprobe-multi',
  loadCheck: { ok: true },
};

const raw = (root: string, login = vm510Login, extra: Partial<PreflightRaw> = {}): PreflightRaw => ({
  privilege: 'root',
  root: parseKeyValues(root),
  login: parseKeyValues(login),
  ...extra,
});
/** Replaces the line starting with `key=` (or appends `line`). */
const edit = (text: string, key: string, line: string) =>
  text.includes(`\n${key}=`)
    ? text.replace(new RegExp(`\\n${key}=[^\\n]*`), `\n${line}`)
    : `${text}${line}\n`;
const ids = (r: PreflightRaw, facts: ProbeFacts | undefined, probeError?: string) =>
  findLimits(r, facts, probeError).map((f) => `${f.severity} ${f.id}`);

describe('preflight scripts are read-only', () => {
  /** Every command a script runs: quoted text dropped, `$(…)` taken apart, keywords and assignments skipped. */
  function commandsOf(script: string): string[] {
    let code = script
      .replace(/^\s*#.*$/gm, '')
      .replace(/'[^']*'/g, "''")
      .replace(/\w+\(\) *\{/g, '{'); // function definitions
    const parts: string[] = [];
    for (let prev = ''; prev !== code;)
      [prev, code] = [code, code.replace(/\$\(([^()]*)\)/g, (_, inner: string) => (parts.push(inner), 'X'))];
    const keywords = /^(if|then|else|elif|fi|do|done|while|!|\{|\})$/;
    const words = [code, ...parts]
      .flatMap((c) => c.replace(/"/g, '').split(/;|\|\||&&|\||\n|\{|\}/))
      .map((seg) => seg.trim().split(/\s+/))
      .map((w) => {
        const i = w.findIndex((x) => x && !keywords.test(x) && !/^\w+=/.test(x) && !/^\d*[<>]/.test(x));
        return i < 0 || w[i] === 'for' ? undefined : w[i];
      });
    return [...new Set(words.filter((w): w is string => !!w && w !== "''"))].sort();
  }

  it('run only commands that read, and redirect output only to /dev/null', () => {
    const reading = new Set([
      '[',
      'awk',
      'cat',
      'dirname',
      'dmesg',
      'echo',
      'grep',
      'id',
      'ls',
      'mnt',
      'mnt()',
    ]);
    for (const w of ['sed', 'sort', 'tail', 'tr', 'true', 'uname', 'zcat']) reading.add(w);
    const all = [LOGIN_PREFLIGHT_SCRIPT, ROOT_PREFLIGHT_SCRIPT].flatMap(commandsOf);
    expect(new Set(all)).toEqual(new Set([...reading].filter((w) => all.includes(w))));
    expect(all.filter((w) => !reading.has(w))).toEqual([]);
    for (const script of [LOGIN_PREFLIGHT_SCRIPT, ROOT_PREFLIGHT_SCRIPT]) {
      const code = script.replace(/'[^']*'/g, "''");
      for (const m of code.matchAll(/\d*>+\s*([^\s;)]+)/g)) expect(m[1]).toBe('/dev/null');
      // sed and awk write only through -i, `w`, `>`, system() or pipes inside their programs
      expect(script).not.toMatch(/sed +-i|system\(|print *>|\| *"/);
      for (const prog of script.matchAll(/sed ((?:-e '[^']*' *)+|'[^']*')/g))
        expect(prog[1]).not.toMatch(/\/w /);
    }
  });

  it('lists the commands it checks (a new one must be added to the list above on purpose)', () => {
    expect(commandsOf(LOGIN_PREFLIGHT_SCRIPT)).toEqual(
      ['[', 'awk', 'dirname', 'echo', 'id', 'mnt', 'sort', 'true'].sort(),
    );
  });
});

describe('preflight findings on recorded output', () => {
  it('Debian 11 (5.10): the compat object loads; kprobes by address, the missing helpers said once', () => {
    const f = findLimits(raw(vm510Root), vm510Facts);
    expect(f.map((x) => `${x.severity} ${x.id}`)).toEqual(['warning helpers-missing', 'info no-fprobe']);
    const helpers = f[0]!;
    expect(helpers.summary).toMatch(
      /bpf_get_func_ip \(fentry probes\), bpf_get_attach_cookie \(kprobe-multi probes and kprobe return values\)/,
    );
    expect(helpers.advice).toMatch(/before 5\.12, run its compat object/);
    expect(helpers.advice).toMatch(/here kprobes, each found by its address, without return values/);
    expect(helpers.evidence).toContain('BTF enum bpf_func_id lacks BPF_FUNC_get_func_ip');
    // the probe's refused fentry and kprobe-multi tests are explained by the helpers, not reported again
    expect(vm510Facts.attach.fentry).toMatchObject({
      ok: false,
      error: expect.stringMatching(/no bpf_get_func_ip/),
    });
  });

  it('a kernel whose verifier still refuses the loader: the refusal, with the floor and the missing helpers', () => {
    const refusedFacts = { ...vm510Facts, loadCheck: { ok: false, error: 'load: Invalid argument' } };
    const f = findLimits(raw(vm510Root), refusedFacts);
    const refused = f.find((x) => x.id === 'loader-refused');
    expect(refused?.severity).toBe('error');
    expect(refused?.summary).toMatch(/verifier refuses pktpath’s programs.*load: Invalid argument/);
    expect(refused?.advice).toMatch(/lacks bpf_get_func_ip, bpf_get_attach_cookie, bpf_get_func_arg/);
    expect(ids(raw(vm510Root), refusedFacts)).toEqual(['error loader-refused', 'info no-fprobe']);
  });

  it('Debian 12 (6.12) with every backend: nothing limits it', () => {
    expect(findLimits(raw(vm612Root), vm612Facts)).toEqual([]);
  });

  it('this machine (6.18, no kprobes, locked down by its config): each limit from what the host shows', () => {
    expect(ids(raw(localRoot), localFacts)).toEqual([
      'warning lockdown',
      'warning no-kprobes',
      'warning attach-refused',
    ]);
    const [lock, k] = findLimits(raw(localRoot), localFacts);
    expect(lock!.evidence).toEqual([
      'lockdown=unknown (securityfs not mounted)',
      'CONFIG_LOCK_DOWN_KERNEL_FORCE_INTEGRITY=y',
      '[    0.104393] Kernel is locked down from Kernel configuration; see man kernel_lockdown.7',
    ]);
    expect(k!.evidence).toEqual(['config.file=/proc/config.gz', 'KPROBES=n', 'FPROBE=n']);
  });

  it('lockdown without securityfs: the boot’s lockdown= (the stricter of it and the config wins)', () => {
    const boot = edit(vm612Root, 'cmdline', 'cmdline=console=ttyS0 quiet lockdown=confidentiality');
    const f = findLimits(raw(boot), vm612Facts);
    expect(f.map((x) => `${x.severity} ${x.id}`)).toEqual(['error lockdown']);
    expect(f[0]!.evidence).toContain('cmdline: lockdown=confidentiality');
    const both = `${edit(localRoot, 'cmdline', 'cmdline=quiet lockdown=confidentiality')}`;
    expect(findLimits(raw(both), localFacts)[0]!.summary).toMatch(/"confidentiality"/);
  });

  it('a 5.12-5.14 kernel whose programs load but lacks the 5.15/5.17 helpers', () => {
    const r = raw(
      edit(vm612Root, 'btf.has', 'btf.has=BPF_FUNC_ringbuf_reserve').replace(
        /btf\.has=BPF_FUNC_get_\w+\n/g,
        '',
      ),
    );
    const f = findLimits(r, vm612Facts);
    expect(f.map((x) => x.id)).toEqual(['helpers-missing']);
    expect(f[0]!.summary).toMatch(/bpf_get_func_ip \(fentry probes\), bpf_get_attach_cookie \(kprobe/);
  });

  it('lockdown: confidentiality blocks every probe, integrity only debugfs', () => {
    const conf = findLimits(
      raw(edit(vm612Root, 'lockdown', 'lockdown=none integrity [confidentiality]')),
      vm612Facts,
    );
    expect(conf.map((x) => `${x.severity} ${x.id}`)).toEqual(['error lockdown']);
    expect(conf[0]!.summary).toMatch(/kprobes, bpf_probe_read_kernel, perf events and tracefs are blocked/);
    const integ = findLimits(
      raw(edit(vm612Root, 'lockdown', 'lockdown=none [integrity] confidentiality')),
      vm612Facts,
    );
    expect(integ.map((x) => `${x.severity} ${x.id}`)).toEqual(['warning lockdown']);
    expect(integ[0]!.summary).toMatch(/debugfs/);
    expect(
      findLimits(raw(edit(vm612Root, 'lockdown', 'lockdown=[none] integrity confidentiality')), vm612Facts),
    ).toEqual([]);
  });

  it('no BTF: where BTF could come from', () => {
    const r = raw(
      edit(edit(vm612Root, 'btf', 'btf=0'), 'config.file', 'config.file=/boot/config-5.4.0') +
        'config=DEBUG_INFO_BTF=n\n',
    );
    const f = findLimits(r, undefined, 'loader probe on x exited 1: no BTF');
    expect(f.map((x) => x.id)).toEqual(['no-btf', 'probe-failed']);
    expect(f[0]!.summary).toMatch(/CONFIG_DEBUG_INFO_BTF is off/);
    expect(f[0]!.advice).toMatch(/BTFHub/);
  });

  it('SELinux and AppArmor: enforcing is noted, denials are errors with the log lines', () => {
    const avc = 'denial=type=AVC msg=audit(1.2:3): avc:  denied  { bpf } for pid=7 comm="pktpath-loader"';
    const aa = 'denial=audit: type=1400 apparmor="DENIED" operation="capable" profile="sudo" capname="bpf"';
    expect(ids(raw(`${vm612Root}selinux.enforce=1\n`), vm612Facts)).toEqual(['info selinux']);
    const f = findLimits(raw(`${vm612Root}selinux.enforce=1\n${avc}\n${aa}\n`), vm612Facts);
    expect(f.map((x) => `${x.severity} ${x.id}`)).toEqual(['error selinux', 'error apparmor']);
    expect(f[1]!.evidence).toContain(aa.slice('denial='.length));
  });

  it('/run, /tmp and /var/tmp all noexec: root has nowhere to run its copy', () => {
    const r = vm612Root.replace(/^execdir=(\S+) (\S+)$/gm, 'execdir=$1 $2,noexec');
    expect(ids(raw(r), vm612Facts)).toEqual(['error no-exec-dir']);
    const one = vm612Root.replace(/^execdir=\/run (\S+)$/m, 'execdir=/run $1,noexec');
    expect(findLimits(raw(one), vm612Facts)).toEqual([]);
  });

  it('no root: the privilege method’s own words, and no second "probe failed" for the same cause', () => {
    const r = raw(vm612Root, vm510Login, {
      privilege: 'sudo',
      root: undefined,
      rootError: 'could not become root on u@h:22: sudo: a password is required',
    });
    const f = findLimits(r, undefined, 'could not become root on u@h:22: sudo asks for a password');
    expect(f.map((x) => x.id)).toEqual(['no-root']);
    expect(f[0]!.advice).toMatch(/NOPASSWD sudo rule.*sudo-password/);
  });
});
