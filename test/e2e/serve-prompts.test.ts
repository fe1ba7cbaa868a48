import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect } from 'vitest';
import type { LabHostName } from '../lab/lab.js';
import { labContext } from '../support/lab-context.js';
import { BrowserClient, descendantsOf, startServe, type ServeProcess } from '../support/serve-process.js';

// `pktpath serve` started from a shell as a user starts it — without a terminal, and on one (script(1)) — with
// the lab's real sshd behind host keys it has never seen. A question raised for a browser client goes to that
// client only, waits for it, is answered by it only, and never reaches the terminal; SIGTERM / SIGINT / Ctrl+C end
// it within 2 s with a trace attached on this kernel and a question open, leaving no program attached.
const { lab, labIt } = labContext();
const itServe = labIt({ needs: { root: true, tools: ['script', 'ssh-keygen', 'bpftool'] } });
const scratch = mkdtempSync(join(tmpdir(), 'pktpath-serve-prompts-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let envs = 0;
/** A first run: a private HOME (no known_hosts, no agent) and data dir. */
function firstRunEnv(): NodeJS.ProcessEnv {
  const dir = join(scratch, `run-${++envs}`);
  mkdirSync(join(dir, 'home'), { recursive: true });
  return { ...process.env, HOME: join(dir, 'home'), PKTPATH_HOME: join(dir, 'data'), SSH_AUTH_SOCK: '' };
}

function fingerprintOf(pub: string): string {
  const f = join(scratch, `key-${Date.now()}.pub`);
  writeFileSync(f, pub.trim() + '\n');
  return execFileSync('ssh-keygen', ['-lf', f], { encoding: 'utf8' }).split(/\s+/)[1]!;
}

async function addLabHost(
  c: BrowserClient,
  name: string,
  lh: LabHostName,
  as: { user: string; privilege: string } = { user: 'root', privilege: 'root' },
): Promise<void> {
  const h = lab().hosts[lh]!;
  const r = await c.call('hosts.add', {
    name,
    address: h.address,
    port: h.port,
    auth: { kind: 'key', identityFiles: [lab().privateKey] },
    ...as,
  });
  expect(r, JSON.stringify(r.error)).toMatchObject({ ok: true });
}

/** BPF program ids the processes hold (their fds' fdinfo), the loaders' attached programs among them. */
function progIdsOf(pids: number[]): number[] {
  const ids = new Set<number>();
  for (const pid of pids)
    for (const fd of readdirSync(`/proc/${pid}/fdinfo`)) {
      const m = /^prog_id:\s*(\d+)/m.exec(readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8'));
      if (m) ids.add(Number(m[1]));
    }
  return [...ids];
}

const loadedProgIds = () =>
  new Set(
    (
      JSON.parse(execFileSync('bpftool', ['-j', 'prog', 'show'], { encoding: 'utf8' })) as { id: number }[]
    ).map((p) => p.id),
  );

const loadersUnder = (pid: number) =>
  descendantsOf(pid).filter((p) => {
    try {
      return readFileSync(`/proc/${p}/comm`, 'utf8').trim() === 'pktpath-loader';
    } catch {
      return false;
    }
  });

/** What a terminal would show of the CLI's own host-key question. */
const TERMINAL_QUESTION = /authenticity|fingerprint is|continue connecting/;

async function stop(serve: ServeProcess): Promise<void> {
  if (serve.child.exitCode === null && serve.child.signalCode === null) {
    serve.child.kill('SIGKILL');
    await serve.exited;
  }
}

describe('pktpath serve: questions belong to the browser client that caused them', () => {
  for (const tty of [false, true])
    itServe(
      `${tty ? 'on a terminal' : 'without a terminal'}: the asking client alone gets the host-key prompt and answers it; the terminal never sees it`,
      async () => {
        const serve = await startServe({ tty, env: firstRunEnv() });
        try {
          const a = await BrowserClient.open(serve.port, serve.token);
          const b = await BrowserClient.open(serve.port, serve.token);
          await addLabHost(a, 'lab-local', 'local');
          let settled = false;
          const test = a.call('hosts.testConnection', { name: 'lab-local' }).finally(() => (settled = true));
          const prompt = await a.nextEvent('hostKey.prompt');
          expect(prompt).toMatchObject({
            host: 'lab-local',
            hostPattern: `[127.0.0.1]:${lab().hosts.local!.port}`,
            fingerprint: fingerprintOf(lab().hosts.local!.hostKeyPub),
          });
          // the dialog stays open as long as the user needs: nothing else answers it meanwhile
          await sleep(1500);
          expect(settled).toBe(false);
          expect(b.events.map((e) => e.event)).not.toContain('hostKey.prompt');
          expect(
            await b.call('hostKey.decide', { promptId: prompt.promptId, decision: 'accept-once' }),
          ).toMatchObject({ ok: false, error: { code: 'not-found' } });
          expect(
            await a.call('hostKey.decide', { promptId: prompt.promptId, decision: 'accept-and-save' }),
          ).toMatchObject({ ok: true });
          expect(await test).toMatchObject({
            ok: true,
            response: { ok: true, user: 'root', privileged: true },
          });
          expect(serve.output()).not.toMatch(TERMINAL_QUESTION);
          a.close();
          b.close();
        } finally {
          await stop(serve);
        }
      },
    );

  itServe(
    'without a terminal: a sudo password is asked of the asking client alone, and given by it',
    async () => {
      const serve = await startServe({ tty: false, env: firstRunEnv() });
      try {
        const a = await BrowserClient.open(serve.port, serve.token);
        const b = await BrowserClient.open(serve.port, serve.token);
        const pw = lab().users.sudoPassword;
        await addLabHost(a, 'lab-pw', 'local', { user: pw.name, privilege: 'sudo-password' });
        const test = a.call('hosts.testConnection', { name: 'lab-pw' });
        const key = await a.nextEvent('hostKey.prompt');
        await a.call('hostKey.decide', { promptId: key.promptId, decision: 'accept-once' });
        const secret = await a.nextEvent('secret.prompt');
        expect(secret).toMatchObject({ host: 'lab-pw', kind: 'sudo-password' });
        await sleep(1000); // nothing answers it meanwhile (the terminal-less CLI would have read EOF: cancel)
        expect(b.events.map((e) => e.event)).not.toContain('secret.prompt');
        expect(await b.call('secret.provide', { promptId: secret.promptId, value: 'guess' })).toMatchObject({
          ok: false,
          error: { code: 'not-found' },
        });
        expect(
          await a.call('secret.provide', { promptId: secret.promptId, value: pw.password }),
        ).toMatchObject({
          ok: true,
        });
        expect(await test).toMatchObject({
          ok: true,
          response: { ok: true, user: pw.name, privileged: true },
        });
        a.close();
        b.close();
      } finally {
        await stop(serve);
      }
    },
  );

  itServe(
    'a client that goes away takes its open question with it: the next one is asked afresh',
    async () => {
      const serve = await startServe({ tty: false, env: firstRunEnv() });
      try {
        const gone = await BrowserClient.open(serve.port, serve.token);
        await addLabHost(gone, 'lab-jump', 'jump');
        void gone.call('probe.run', { host: 'lab-jump' });
        await gone.nextEvent('hostKey.prompt');
        gone.close();
        // probes share the host's pooled connect attempt: had the question outlived its client, this would wait 5 min
        const next = await BrowserClient.open(serve.port, serve.token);
        const probe = next.call('probe.run', { host: 'lab-jump' });
        const asked = await next.nextEvent('hostKey.prompt', () => true, 10_000);
        await next.call('hostKey.decide', { promptId: asked.promptId, decision: 'accept-once' });
        expect(await probe).toMatchObject({
          ok: true,
          response: { kernel: { release: lab().hosts.jump!.kernelRelease } },
        });
        next.close();
      } finally {
        await stop(serve);
      }
    },
  );

  const ways = [
    { tty: false, how: 'SIGTERM' },
    { tty: false, how: 'SIGINT' },
    { tty: true, how: 'SIGTERM' },
    { tty: true, how: 'Ctrl+C' },
  ] as const;
  for (const { tty, how } of ways)
    itServe(
      `${how} ${tty ? 'on a terminal' : 'without a terminal'} ends it within 2 s with a trace attached and a prompt open; nothing stays attached`,
      async () => {
        const serve = await startServe({ tty, env: firstRunEnv() });
        try {
          const a = await BrowserClient.open(serve.port, serve.token);
          await addLabHost(a, 'lab-jump', 'jump');
          const test = a.call('hosts.testConnection', { name: 'lab-jump' });
          const prompt = await a.nextEvent('hostKey.prompt');
          const net = 1 + Math.floor(Math.random() * 250);
          const started = await a.call('trace.start', {
            host: 'local',
            filter: `icmp and host 10.254.${net}.1`,
            mode: 'tracepoint',
            limits: { durationS: 300 },
          });
          expect(started, JSON.stringify(started.error)).toMatchObject({ ok: true });
          const runId = (started.response as { runId: string }).runId;
          await a.nextEvent('trace.progress', (p) => p.runId === runId && p.phase === 'tracing', 60_000);
          const loaders = loadersUnder(serve.pid);
          expect(loaders.length).toBe(1);
          const ours = progIdsOf(loaders);
          expect(ours.length).toBeGreaterThan(0);
          expect(ours.every((id) => loadedProgIds().has(id))).toBe(true); // the check can see them while they exist
          expect(prompt.promptId).toBeTruthy(); // still open: the question has not been answered

          serve.signalled();
          if (how === 'Ctrl+C') serve.type('\x03');
          else process.kill(serve.pid, how);
          const exit = await serve.exited;
          expect(exit.ms, serve.output()).toBeLessThan(2000);
          expect(exit.code, serve.output()).toBe(0);
          expect(serve.output()).not.toMatch(/\n\s+at |Unhandled/);
          // programs are freed asynchronously after their last reference goes
          let left = ours;
          for (let i = 0; i < 40 && left.length; i++) {
            await sleep(50);
            const loaded = loadedProgIds();
            left = ours.filter((id) => loaded.has(id));
          }
          expect(left).toEqual([]);
          expect(loaders.filter((p) => existsProc(p))).toEqual([]);
          void test;
        } finally {
          await stop(serve);
        }
      },
    );
});

function existsProc(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
