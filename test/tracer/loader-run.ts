import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { arch } from 'node:os';
import { resolve } from 'node:path';
import { profileEntries } from '../../main/core/probeset/profiles.js';

/** The committed loader for this machine's arch (built by `npm run build:bpf`). */
export const LOADER = resolve(
  import.meta.dirname,
  '../../resources',
  arch() === 'arm64' ? 'aarch64' : 'x86_64',
  'pktpath-loader',
);

/** The `default` profile's names: the one default list (the loader keeps none; the core sends these). */
export const DEFAULT_FUNCTIONS = profileEntries('default').map((e) => e.function);

export interface Rec {
  type: string;
  [k: string]: unknown;
}
export interface Ev extends Rec {
  packet: number;
  probe: number;
  name: string;
  netns: number;
  free?: boolean;
  first?: boolean;
  /** The filter view that matched (first event): Ethernet or raw IP. */
  view?: 'l2' | 'l3';
  partial?: boolean;
  tuple?: { ip: number; proto: string | number; src: string; dst: string; sport: number; dport: number };
  drop?: { reason: number; name: string };
  skb: string;
  retval?: number;
}

/** A running `loader trace`: stdin stays open (its EOF means "the session died"), stdout is collected. */
export class TraceRun {
  readonly child: ChildProcessWithoutNullStreams;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stdout = Buffer.alloc(0);
  stderr = '';

  /** `via`: how to start the loader elsewhere, e.g. `['ssh', ...sshArgs, '/tmp/pktpath-loader']` (trace args follow). */
  constructor(config: unknown, args: string[] = ['--json'], via: string[] = [LOADER]) {
    const [file = LOADER, ...pre] = via;
    this.child = spawn(file, [...pre, 'trace', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout.on('data', (d: Buffer) => (this.stdout = Buffer.concat([this.stdout, d])));
    this.child.stderr.setEncoding('utf8').on('data', (d: string) => (this.stderr += d));
    this.child.stdin.on('error', () => undefined);
    this.exited = new Promise((res) => this.child.on('close', (code, signal) => res({ code, signal })));
    this.child.stdin.write(JSON.stringify(config) + '\n');
  }

  /** The complete lines so far (a record still being written, e.g. among thousands of probe records, waits). */
  records(): Rec[] {
    const text = this.stdout.toString('utf8');
    return text
      .slice(0, text.lastIndexOf('\n') + 1)
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l) as Rec);
  }

  events(): Ev[] {
    return this.records().filter((r): r is Ev => r.type === 'event');
  }

  /** Resolves once a record of this type has been written (or rejects after timeoutMs). */
  async waitFor(type: string, timeoutMs = 15_000): Promise<Rec> {
    const t0 = Date.now();
    for (;;) {
      const r = this.records().find((x) => x.type === type);
      if (r) return r;
      if (this.child.exitCode !== null || Date.now() - t0 > timeoutMs)
        throw new Error(
          `no "${type}" record (exit ${this.child.exitCode}); stdout: ${this.stdout.toString().slice(-2000)} stderr: ${this.stderr}`,
        );
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Sends "stop", waits for the exit and returns the final records. */
  async stop(): Promise<Rec[]> {
    this.child.stdin.write('stop\n');
    await this.exited;
    return this.records();
  }
}

/** Groups events by packet id, in ring-buffer order (per packet that is time order: one skb is on one CPU at a time). */
export function paths(events: Ev[]): Map<number, Ev[]> {
  const m = new Map<number, Ev[]>();
  for (const e of events) m.set(e.packet, [...(m.get(e.packet) ?? []), e]);
  return m;
}

/** True when `want` appears in `names` in this order (other names may sit in between). */
export function inOrder(names: readonly string[], want: readonly string[]): boolean {
  let i = 0;
  for (const n of names) if (n === want[i]) i++;
  return i === want.length;
}
