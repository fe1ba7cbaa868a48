import { spawn, type ChildProcess } from 'node:child_process';
import { inTerminal } from './terminal.js';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import WebSocket from 'ws';

/** `pktpath` as a user runs it: the built CLI (npm run build). */
export const PKTPATH_BIN = join(process.cwd(), 'bin', 'pktpath.mjs');
export const builtCli = () => existsSync(join(process.cwd(), 'dist', 'main', 'cli', 'main.js'));

export interface ServeProcess {
  child: ChildProcess;
  /** The `pktpath serve` process itself (under script(1), the node process inside the pty). */
  pid: number;
  port: number;
  token: string;
  /** The URL it printed, token and all: what a user opens. */
  url: string;
  /** Everything it printed so far (stdout, stderr); with a terminal both are the terminal's output. */
  output: () => string;
  /** Settles when it exited, with the time since `signalled` (or since start). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>;
  /** Marks now as the start of the shutdown that `exited.ms` measures. */
  signalled: () => void;
  /** Keystrokes to its terminal (tty only). */
  type: (keys: string) => void;
}

/**
 * Starts `node bin/pktpath.mjs serve` the way a user does: from a shell without a terminal (stdin /dev/null), or
 * on a real one (script(1) gives it a pty, our pipe is the keyboard). Resolves once the URL is printed.
 */
export async function startServe(opts: {
  tty: boolean;
  env: NodeJS.ProcessEnv;
  /** Further `serve` arguments, e.g. `--port N`. */
  args?: readonly string[];
}): Promise<ServeProcess> {
  if (!builtCli()) throw new Error('the CLI is not built: run npm run build');
  const argv = [process.execPath, PKTPATH_BIN, 'serve', ...(opts.args ?? [])];
  const term = inTerminal(argv, opts.env);
  const child = opts.tty
    ? spawn(term.file, term.args, { env: term.env, stdio: ['pipe', 'pipe', 'pipe'] })
    : spawn(process.execPath, argv.slice(1), { env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
  let t0 = Date.now();
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>((r) =>
    child.on('close', (code, signal) => r({ code, signal, ms: Date.now() - t0 })),
  );
  const deadline = Date.now() + 30_000;
  const urlIn = () => /http:\/\/127\.0\.0\.1:(\d+)\/#token=([A-Za-z0-9_-]+)/.exec(out);
  while (!urlIn()) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`pktpath serve did not print its URL: ${out}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const [url, port, token] = urlIn() ?? [];
  if (child.pid === undefined) throw new Error('pktpath serve has no pid');
  const pid = opts.tty ? nodeUnder(child.pid) : child.pid;
  return {
    child,
    pid,
    port: Number(port),
    token: String(token),
    url: String(url),
    output: () => out,
    exited,
    signalled: () => (t0 = Date.now()),
    type: (keys) => void child.stdin?.write(keys),
  };
}

/** Child processes of `pid` (from /proc). */
export function childrenOf(pid: number): number[] {
  const kids: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) kids.push(Number(d));
    } catch {
      // gone meanwhile
    }
  }
  return kids;
}

/** Every process below `pid`. */
export function descendantsOf(pid: number): number[] {
  const kids = childrenOf(pid);
  return kids.flatMap((k) => [k, ...descendantsOf(k)]);
}

function nodeUnder(scriptPid: number): number {
  const node = descendantsOf(scriptPid).find((p) => {
    try {
      const [exe, script] = readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0');
      return exe === process.execPath && script === PKTPATH_BIN;
    } catch {
      return false;
    }
  });
  if (node === undefined) throw new Error('no pktpath process under script(1)');
  return node;
}

/** Open file descriptors of a process (its sockets among them). */
export const openFds = (pid: number): number => readdirSync(`/proc/${pid}/fd`).length;

export interface WsFrame {
  kind: string;
  id?: number;
  ok?: boolean;
  response?: unknown;
  error?: { code: string; message: string };
  events?: { event: string; payload: Record<string, unknown> }[];
}

/** A browser-mode client as the renderer is one: the WebSocket, calls by id, events collected. */
export class BrowserClient {
  readonly events: { event: string; payload: Record<string, unknown> }[] = [];
  /** Every response frame, in order of arrival. */
  readonly responses: WsFrame[] = [];
  private nextId = 1;
  private readonly waiting = new Map<number, (f: WsFrame) => void>();

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (d) => {
      const f = JSON.parse(d.toString()) as WsFrame;
      if (f.kind === 'events') this.events.push(...(f.events ?? []));
      else {
        this.responses.push(f);
        this.waiting.get(Number(f.id))?.(f);
      }
    });
  }

  static async open(port: number, token: string): Promise<BrowserClient> {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws?token=${token}`, {
      origin: `http://127.0.0.1:${port}`,
    });
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    return new BrowserClient(ws);
  }

  call(method: string, request: unknown): Promise<WsFrame> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      this.ws.send(JSON.stringify({ id, method, request }));
    });
  }

  /** Sends text as it is (a malformed envelope is answered with id -1: watch `responses`). */
  sendRaw(text: string): void {
    this.ws.send(text);
  }

  /** The first event `name` (whose payload passes `match`) not taken before; waits for it. */
  async nextEvent(
    name: string,
    match: (payload: Record<string, unknown>) => boolean = () => true,
    timeoutMs = 30_000,
  ): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.events.findIndex((x) => x.event === name && match(x.payload));
      const [found] = i >= 0 ? this.events.splice(i, 1) : [];
      if (found) return found.payload;
      if (Date.now() > deadline) throw new Error(`no ${name} event within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  close(): void {
    this.ws.close();
  }
}
