import type { HostContext, HostContextSnapshot } from '../../api/explain.js';
import type { Hop } from '../../api/trace.js';
import type { CommandRunner } from '../ssh/command-runner.js';
import type { PrivilegeOptions } from '../ssh/privileged.js';
import { captureHostContext } from './capture-context.js';
import { MAX_NAMESPACES } from './capture-script.js';
import { HopNamer } from './hop-names.js';

/**
 * A trace run's host context: captured at start, concurrently with deploy and attach (never awaited by them), and
 * at the end for the namespaces the packets touched plus init. Off when the spec says `context: false`.
 */
export class RunHostContext {
  private link: { runner: CommandRunner; privilege: PrivilegeOptions } | undefined;
  private startSnap: HostContextSnapshot | undefined;
  private startCapture: Promise<void> | undefined;
  private endSnap: HostContextSnapshot | undefined;
  private readonly touched = new Set<number>();
  /** Names for live packets, from the start snapshot once it has arrived. */
  namer = new HopNamer(undefined);

  constructor(readonly enabled: boolean) {}

  /** Starts the start capture in the background. */
  begin(runner: CommandRunner, privilege: PrivilegeOptions): void {
    if (!this.enabled || this.link) return;
    this.link = { runner, privilege };
    this.startCapture = captureHostContext(runner, privilege).then((s) => {
      this.startSnap = s;
      this.namer = new HopNamer(this.context);
    });
  }

  /** Remembers the namespaces of hops seen (bounded), for the end capture. */
  noteHops(hops: readonly Hop[]): void {
    for (const h of hops) if (this.touched.size < MAX_NAMESPACES) this.touched.add(h.netns);
  }

  /** After the loader exited: waits for the start capture, then captures the end. Never throws. */
  async end(): Promise<void> {
    if (!this.link) return;
    await this.startCapture;
    const init = this.startSnap?.namespaces.find((n) => n.name === 'init')?.netns;
    const netns = [...new Set([...(init !== undefined ? [init] : []), ...this.touched])];
    // nothing known to ask for (no start snapshot, no packets): every namespace, as at the start
    this.endSnap = await captureHostContext(
      this.link.runner,
      this.link.privilege,
      netns.length ? { netns } : {},
    );
    this.namer = new HopNamer(this.context);
  }

  get context(): HostContext | undefined {
    if (!this.startSnap && !this.endSnap) return undefined;
    return {
      version: 1,
      ...(this.startSnap ? { start: this.startSnap } : {}),
      ...(this.endSnap ? { end: this.endSnap } : {}),
    };
  }
}
