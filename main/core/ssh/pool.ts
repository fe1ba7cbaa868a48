import type { Host } from '../../api/hosts.js';
import { connect, type ConnectOptions, type SshConnection } from './connection.js';

/**
 * One live SSH connection per host, shared by probe, deploy and trace (SSH multiplexes channels), reopened on
 * demand after the link dies. Concurrent `get`s for the same host wait for the same connect attempt.
 * A host whose settings change gets a fresh connection (the key includes the settings).
 */
export class ConnectionPool {
  private readonly live = new Map<string, { key: string; conn: Promise<SshConnection> }>();

  constructor(private readonly opts: ConnectOptions) {}

  private static keyOf(host: Host): string {
    return JSON.stringify([host.address, host.port, host.user, host.auth, host.jump]);
  }

  async get(host: Host): Promise<SshConnection> {
    const key = ConnectionPool.keyOf(host);
    const entry = this.live.get(host.name);
    if (entry && entry.key === key) {
      const conn = await entry.conn.catch(() => undefined);
      if (conn && !conn.closed) return conn;
    } else if (entry) {
      void entry.conn.then(
        (c) => c.close(),
        () => undefined,
      );
    }
    const conn = connect(host, this.opts);
    this.live.set(host.name, { key, conn });
    conn.then(
      (c) => c.onClose(() => this.live.get(host.name)?.conn === conn && this.live.delete(host.name)),
      () => this.live.get(host.name)?.conn === conn && this.live.delete(host.name),
    );
    return conn;
  }

  /** Drops (and closes) the connection of one host, e.g. after a "cut link" or an inventory edit; says whether
   * there was one (open or still connecting). */
  drop(name: string): boolean {
    const entry = this.live.get(name);
    this.live.delete(name);
    void entry?.conn.then(
      (c) => c.close(),
      () => undefined,
    );
    return entry !== undefined;
  }

  closeAll(): void {
    for (const name of [...this.live.keys()]) this.drop(name);
  }

  get size(): number {
    return this.live.size;
  }
}
