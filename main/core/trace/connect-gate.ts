/**
 * At most `max` runs connect (SSH handshake, `uname`) at once: a group of many hosts would otherwise start every
 * handshake in the same instant, and on a busy client (or through one jump host, whose sshd drops connections past
 * its MaxStartups) some time out. Runs past the limit wait their turn; tracing itself is not limited.
 */
export class ConnectGate {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly max: number) {}

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.max) await new Promise<void>((r) => this.waiting.push(r));
    this.active++;
    try {
      return await fn();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}
