import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { exec, type ExecResult } from '../lab/exec.js';
import { addNftDrop, createPair, destroy, ping } from '../lab/netns.js';
import { sshShell } from '../lab/ssh-client.js';
import { labTarget, type LabHostName } from '../lab/lab.js';
import { labContext } from '../support/lab-context.js';

// The same nft-dropped ping traced on Debian 6.1 and 6.12 with the built CLI (bin/pktpath.mjs), saved, and
// compared: the drop function is kfree_skb_reason on 6.1 and sk_skb_reason_drop on 6.12 (renamed in 6.11), and
// `pktpath compare` aligns the two as one function and says so.
const { lab, labIt } = labContext();
const it = labIt({ hosts: ['vm61', 'vm612'] });
const scratch = mkdtempSync(join(tmpdir(), 'pktpath-compare-kernels-'));
const env = {
  ...process.env,
  HOME: join(scratch, 'user'),
  PKTPATH_HOME: join(scratch, 'home'),
  SSH_AUTH_SOCK: '',
};
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const pktpath = (...args: string[]) =>
  exec(process.execPath, ['bin/pktpath.mjs', ...args], { env, timeoutMs: 180_000 });
const ok = (r: ExecResult) => {
  if (r.code !== 0) throw new Error(`pktpath exited ${r.code}: ${r.stderr}${r.stdout}`);
  return r;
};

beforeAll(() => mkdirSync(env.HOME, { recursive: true }));

interface Doc {
  packets: { id: number; hops: { function: string }[]; drop_reason: string | null }[];
}

/** Traces the server's input on `host` while pings are dropped there by nft; returns the saved run's document. */
async function traceDrop(host: LabHostName): Promise<Doc> {
  const h = lab().hosts[host]!;
  // prettier-ignore
  ok(await pktpath('hosts', 'add', host, '--address', h.address, '--port', String(h.port), '--user', 'root',
    '--identity', lab().privateKey, '--privilege', 'root'));
  const t = await createPair(sshShell(labTarget(lab(), host), scratch));
  try {
    await addNftDrop(t);
    const args = ['trace', host, '--filter', `icmp and dst host ${t.serverAddr}`, '--count', '2'];
    const child = spawn(
      process.execPath,
      [
        'bin/pktpath.mjs',
        ...args,
        '--duration',
        '90',
        '--save',
        `drop-${host}`,
        '--json',
        '--accept-new-host-key',
      ],
      { env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    const exited = new Promise<number | null>((r) => child.on('close', r));
    let done = false;
    void exited.then(() => (done = true));
    while (!done && !/^tracing on /m.test(err)) await new Promise((r) => setTimeout(r, 100));
    for (let i = 0; i < 20 && !done; i++) expect((await ping(t, 1, 0.2)).received).toBe(0);
    expect(await exited, err).toBe(0);
    return JSON.parse(out) as Doc;
  } finally {
    await destroy(t);
  }
}

const dropOf = (d: Doc, fn: string) => {
  const p = d.packets.find(
    (x) => x.hops.some((h) => h.function === fn) && x.hops.some((h) => h.function === 'ip_rcv'),
  );
  expect(p, JSON.stringify(d.packets.map((x) => x.hops.map((h) => h.function)))).toBeDefined();
  return p!;
};

describe('pktpath compare across kernels (built CLI, vm61 vs vm612)', () => {
  it('aligns 6.1’s kfree_skb_reason with 6.12’s sk_skb_reason_drop in the same dropped ping, and says so', async () => {
    const a = dropOf(await traceDrop('vm61'), 'kfree_skb_reason');
    const b = dropOf(await traceDrop('vm612'), 'sk_skb_reason_drop');
    // control: each kernel has only its own name for the drop function
    expect(a.hops.map((h) => h.function)).not.toContain('sk_skb_reason_drop');
    expect(b.hops.map((h) => h.function)).not.toContain('kfree_skb_reason');
    expect([a.drop_reason, b.drop_reason]).toEqual(['NETFILTER_DROP', 'NETFILTER_DROP']);

    const refs = [`drop-vm61:1:${a.id}`, `drop-vm612:1:${b.id}`];
    const c = JSON.parse(ok(await pktpath('compare', ...refs, '--json')).stdout) as {
      rows: {
        op: string;
        function: string;
        b_function?: string;
        a_index: number | null;
        b_index: number | null;
      }[];
      missing: { function: string }[];
      inserted: { function: string }[];
      equivalences?: { a_function: string; b_function: string; role: string; evidence: string }[];
    };
    const row = c.rows.find((r) => r.function === 'kfree_skb_reason')!;
    expect(row).toMatchObject({ op: 'same', b_function: 'sk_skb_reason_drop' });
    expect(a.hops[row.a_index!]!.function).toBe('kfree_skb_reason');
    expect(b.hops[row.b_index!]!.function).toBe('sk_skb_reason_drop');
    expect(c.missing.map((m) => m.function)).not.toContain('kfree_skb_reason');
    expect(c.inserted.map((m) => m.function)).not.toContain('sk_skb_reason_drop');
    expect(c.equivalences).toContainEqual(
      expect.objectContaining({ a_function: 'kfree_skb_reason', b_function: 'sk_skb_reason_drop' }),
    );

    const text = ok(await pktpath('compare', ...refs)).stdout;
    expect(text).toMatch(/^\s+\d+\s+\d+ =kfree_skb_reason = sk_skb_reason_drop\s/m);
    expect(text).toMatch(
      /^aligned across kernel versions: A's kfree_skb_reason = B's sk_skb_reason_drop: one function, drops an skb.*6\.11/m,
    );
  }, 600_000);
});
