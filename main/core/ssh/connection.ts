import { userInfo } from 'node:os';
import type { Readable } from 'node:stream';
import ssh2, {
  type AuthenticationType,
  type ClientChannel,
  type ConnectConfig,
  type SFTPWrapper,
} from 'ssh2';
import type { HostKeyDecision, HostKeyPrompt, SecretKind } from '../../api/contract.js';
import type { Host } from '../../api/hosts.js';
import { CoreError } from '../errors.js';
import { readRegularFile } from '../fs/bounded-read.js';
import { expandHome } from '../fs/expand-home.js';
import { jumpChain } from './jump-chain.js';
import type { CommandRunner, RunningCommand } from './command-runner.js';
import {
  HostKeyMismatchError,
  HostKeyRejectedError,
  HostKeyRevokedError,
  SshAuthError,
  SshTimeoutError,
  SshUnreachableError,
} from './errors.js';
import { keyTypeOfBlob, sha256Fingerprint } from './fingerprint.js';
import type { HostKeyStore } from './host-key-store.js';
import { knownHostsName } from './known-hosts.js';

/** Private keys are a few KiB; anything larger is not one. */
const MAX_IDENTITY_FILE = 1024 * 1024;

// ssh2 is CommonJS: Node's ESM loader only sees its default export (bundlers and Vitest are more lenient).
const { Client, utils } = ssh2;
type Client = InstanceType<typeof Client>;

export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
export const DEFAULT_KEEPALIVE_MS = 15_000;

/** Asked when a host presents a key nobody has on record; `promptId` is filled by the caller's transport. */
export type AskHostKey = (q: Omit<HostKeyPrompt, 'promptId'>) => Promise<HostKeyDecision>;

export interface SecretRequest {
  host: string;
  kind: SecretKind;
  prompt: string;
}
/** Supplies a secret (from a secret store or by asking the user); undefined = none available / cancelled. */
export type SecretProvider = (req: SecretRequest) => Promise<string | undefined>;

export interface ConnectOptions {
  hostKeys: HostKeyStore;
  /** Unset: unknown host keys are rejected (the non-interactive default). */
  askHostKey?: AskHostKey;
  secrets?: SecretProvider;
  /** Looks up jump hosts by inventory name. */
  resolveHost?: (name: string) => Host;
  /** Per hop, excluding time spent waiting for the user's answers. Default: the host's own, else 10 s. */
  timeoutMs?: number;
}

/** A deadline that stops while the user is being asked something (host key, passphrase) and resumes after. */
class PausableDeadline {
  private timer: NodeJS.Timeout | undefined;
  private remaining: number;
  private startedAt = 0;
  private pauses = 0;
  private cleared = false;

  constructor(
    ms: number,
    private readonly onExpire: () => void,
  ) {
    this.remaining = ms;
    this.arm();
  }

  private arm() {
    this.startedAt = Date.now();
    this.timer = setTimeout(this.onExpire, this.remaining);
  }

  async whilePaused<T>(work: () => Promise<T>): Promise<T> {
    if (this.pauses++ === 0 && this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.remaining = Math.max(0, this.remaining - (Date.now() - this.startedAt));
    }
    try {
      return await work();
    } finally {
      if (--this.pauses === 0 && !this.cleared) this.arm();
    }
  }

  clear() {
    this.cleared = true;
    clearTimeout(this.timer);
  }
}

const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNRESET',
  'EADDRNOTAVAIL',
  'EPIPE',
]);

function loginUser(host: Host): string {
  if (host.user) return host.user;
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? 'root';
  }
}

function hostAlgorithmsFor(knownTypes: string[]): string[] | undefined {
  if (!knownTypes.length) return undefined;
  // Ask first for the key type we can check, as ssh(1) does, so a known host is not "unknown" by algorithm choice.
  const expand = (t: string) => (t === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [t]);
  const defaults = [
    'ssh-ed25519',
    'ecdsa-sha2-nistp256',
    'ecdsa-sha2-nistp384',
    'ecdsa-sha2-nistp521',
    'rsa-sha2-512',
    'rsa-sha2-256',
    'ssh-rsa',
  ];
  const first = knownTypes.flatMap(expand).filter((t) => defaults.includes(t));
  return [...new Set([...first, ...defaults])];
}

/** Opens one SSH hop (directly, or over `sock` from the previous hop), verifying its key and authenticating. */
function connectHop(
  hop: Host,
  sock: Readable | undefined,
  opts: ConnectOptions,
  viaJumpFor: string | undefined,
): Promise<Client> {
  const user = loginUser(hop);
  const target = `${user}@${hop.address}:${hop.port}${viaJumpFor ? ` (jump host for ${viaJumpFor})` : ''}`;
  const timeoutMs = opts.timeoutMs ?? hop.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const name = knownHostsName(hop.address, hop.port);

  return new Promise<Client>((resolve, reject) => {
    const client = new Client();
    let settled = false;
    let stage = 'TCP connect';
    let hostKeyError: CoreError | undefined;
    const tried: string[] = [];
    let authNote = '';
    const fail = (e: CoreError) => {
      if (settled) return;
      settled = true;
      deadline.clear();
      client.destroy();
      reject(e);
    };
    const deadline = new PausableDeadline(timeoutMs, () =>
      fail(new SshTimeoutError(target, timeoutMs, stage)),
    );

    const hostVerifier = (blob: Buffer, verify: (ok: boolean) => void): void => {
      stage = 'host key check';
      const verdict = opts.hostKeys.verify(name, blob);
      const keyType = keyTypeOfBlob(blob);
      const fingerprint = sha256Fingerprint(blob);
      switch (verdict.status) {
        case 'known':
          stage = 'authentication';
          return verify(true);
        case 'revoked':
          hostKeyError = new HostKeyRevokedError(name, fingerprint, verdict.at);
          return verify(false);
        case 'changed':
          hostKeyError = new HostKeyMismatchError(
            name,
            keyType,
            verdict.known.map((k) => k.fingerprint),
            fingerprint,
            verdict.known.map((k) => k.at),
          );
          return verify(false);
        case 'unknown': {
          const ask = opts.askHostKey;
          if (!ask) {
            hostKeyError = new HostKeyRejectedError(name, fingerprint);
            return verify(false);
          }
          deadline
            .whilePaused(() =>
              ask({
                host: hop.name,
                hostPattern: name,
                keyType,
                fingerprint,
                ...(viaJumpFor ? { viaJumpFor } : {}),
              }),
            )
            .then(
              (decision) => {
                if (decision === 'reject') {
                  hostKeyError = new HostKeyRejectedError(name, fingerprint);
                  return verify(false);
                }
                if (decision === 'accept-and-save') opts.hostKeys.save(name, blob);
                else opts.hostKeys.acceptOnce(name, blob);
                stage = 'authentication';
                verify(true);
              },
              (e: unknown) => {
                hostKeyError = new HostKeyRejectedError(name, `${fingerprint} (prompt failed: ${String(e)})`);
                verify(false);
              },
            );
          return;
        }
      }
    };

    const secrets = opts.secrets;
    const askSecret = async (kind: SecretRequest['kind'], prompt: string): Promise<string | undefined> =>
      secrets ? deadline.whilePaused(() => secrets({ host: hop.name, kind, prompt })) : undefined;

    // One method list per auth kind; the async handler lets us ask for passphrases and passwords only when needed.
    const pending: (() => Promise<unknown>)[] = [];
    const auth = hop.auth;
    if (auth.kind === 'agent') {
      pending.push(async () => {
        const agent = auth.socket ?? process.env.SSH_AUTH_SOCK;
        if (!agent) {
          authNote = 'no ssh-agent (SSH_AUTH_SOCK is not set)';
          return undefined;
        }
        tried.push('agent');
        return { type: 'agent', username: user, agent };
      });
    } else if (auth.kind === 'key') {
      for (const file of auth.identityFiles) {
        pending.push(async () => {
          const path = expandHome(file);
          let data: Buffer;
          try {
            // A host record's key path may come from a remote face: a FIFO must not hang us, /dev/zero not fill us.
            data = readRegularFile(path, MAX_IDENTITY_FILE);
          } catch (e) {
            authNote += `${authNote ? '; ' : ''}${e instanceof Error ? e.message : String(e)}`;
            return undefined;
          }
          let parsed = utils.parseKey(data);
          let passphrase: string | undefined;
          if (parsed instanceof Error && /encrypted|passphrase/i.test(parsed.message)) {
            passphrase = await askSecret('passphrase', `passphrase for ${path}`);
            if (passphrase === undefined) {
              authNote += `${authNote ? '; ' : ''}no passphrase for ${path}`;
              return undefined;
            }
            parsed = utils.parseKey(data, passphrase);
          }
          if (parsed instanceof Error) {
            authNote += `${authNote ? '; ' : ''}${path}: ${parsed.message}`;
            return undefined;
          }
          tried.push(`publickey ${path}`);
          return {
            type: 'publickey',
            username: user,
            key: data,
            ...(passphrase !== undefined ? { passphrase } : {}),
          };
        });
      }
    } else if (auth.kind === 'password') {
      pending.push(async () => {
        const password = await askSecret('password', `password for ${user}@${hop.address}`);
        if (password === undefined) {
          authNote = 'no password available';
          return undefined;
        }
        tried.push('password');
        return { type: 'password', username: user, password };
      });
    } else {
      pending.push(async () => {
        tried.push('keyboard-interactive');
        return {
          type: 'keyboard-interactive',
          username: user,
          prompt: (
            _name: string,
            instructions: string,
            _lang: string,
            prompts: { prompt: string }[],
            finish: (answers: string[]) => void,
          ) => {
            void (async () => {
              const answers: string[] = [];
              for (const p of prompts)
                answers.push(
                  (await askSecret(
                    'keyboard-interactive',
                    `${instructions ? `${instructions} ` : ''}${p.prompt}`.trim(),
                  )) ?? '',
                );
              finish(answers);
            })();
          },
        };
      });
    }

    const authHandler = (
      _left: AuthenticationType[] | null,
      _partial: boolean | null,
      next: (m: unknown) => void,
    ): void => {
      const step = pending.shift();
      if (!step) return next(false);
      step().then(
        (m) => (m ? next(m) : authHandler(null, null, next)),
        () => authHandler(null, null, next),
      );
    };

    client.on('ready', () => {
      if (settled) return;
      settled = true;
      deadline.clear();
      resolve(client);
    });
    client.on('error', (err: Error & { level?: string; code?: string }) => {
      if (hostKeyError) return fail(hostKeyError);
      if (err.level === 'client-authentication')
        return fail(
          new SshAuthError(
            target,
            tried.length
              ? `rejected ${tried.join(', ')}${authNote ? ` (${authNote})` : ''}`
              : authNote || 'no usable credentials',
          ),
        );
      if (err.level === 'client-timeout') return fail(new SshTimeoutError(target, timeoutMs, stage));
      if (err.code && UNREACHABLE_CODES.has(err.code))
        return fail(new SshUnreachableError(target, err.message, { cause: err }));
      return fail(new SshUnreachableError(target, `${stage} failed: ${err.message}`, { cause: err }));
    });
    client.on('close', () => {
      if (hostKeyError) return fail(hostKeyError);
      fail(new SshUnreachableError(target, `connection closed during ${stage}`));
    });

    const knownTypes = opts.hostKeys.knownKeyTypes(name);
    const serverHostKey = hostAlgorithmsFor(knownTypes);
    const config: ConnectConfig = {
      host: hop.address,
      port: hop.port,
      username: user,
      readyTimeout: 0, // our own deadline, which pauses while the user answers a prompt
      keepaliveInterval: hop.keepaliveIntervalMs ?? DEFAULT_KEEPALIVE_MS,
      keepaliveCountMax: 3,
      hostVerifier,
      authHandler: authHandler as unknown as ConnectConfig['authHandler'],
      ...(sock ? { sock } : {}),
      ...(serverHostKey
        ? {
            algorithms: {
              serverHostKey: serverHostKey as NonNullable<ConnectConfig['algorithms']>['serverHostKey'],
            },
          }
        : {}),
    };
    try {
      client.connect(config);
    } catch (e) {
      fail(new SshUnreachableError(target, (e as Error).message, { cause: e }));
    }
  });
}

function forwardOut(via: Client, viaName: string, to: Host, timeoutMs: number): Promise<ClientChannel> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () =>
        reject(
          new SshTimeoutError(`${to.address}:${to.port}`, timeoutMs, `opening a tunnel through ${viaName}`),
        ),
      timeoutMs,
    );
    via.forwardOut('127.0.0.1', 0, to.address, to.port, (err, stream) => {
      clearTimeout(timer);
      if (err)
        reject(
          new SshUnreachableError(
            `${to.address}:${to.port}`,
            `jump host ${viaName} could not connect: ${err.message}`,
            { cause: err },
          ),
        );
      else resolve(stream);
    });
  });
}

/** An authenticated SSH connection to a host (through its jump chain), usable as a CommandRunner. */
export class SshConnection implements CommandRunner {
  private sftpSession: Promise<SFTPWrapper> | undefined;
  private closedFlag = false;
  private readonly closeListeners: (() => void)[] = [];

  constructor(
    readonly host: Host,
    readonly user: string,
    private readonly client: Client,
    private readonly hops: readonly Client[],
  ) {
    client.on('close', () => this.markClosed());
    client.on('error', () => undefined); // late errors (keepalive timeout) end in 'close'
    for (const h of hops) h.on('close', () => client.end());
  }

  get target(): string {
    return `${this.user}@${this.host.address}:${this.host.port}`;
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  onClose(cb: () => void): void {
    if (this.closedFlag) cb();
    else this.closeListeners.push(cb);
  }

  private markClosed() {
    if (this.closedFlag) return;
    this.closedFlag = true;
    for (const h of this.hops) h.end();
    for (const cb of this.closeListeners.splice(0)) cb();
  }

  spawn(command: string): Promise<RunningCommand> {
    return new Promise((resolve, reject) => {
      if (this.closedFlag) return reject(new SshUnreachableError(this.target, 'connection is closed'));
      this.client.exec(command, (err, stream) => {
        if (err)
          return reject(
            new SshUnreachableError(this.target, `cannot start a command: ${err.message}`, { cause: err }),
          );
        let status: { code: number | null; signal: string | null } = { code: null, signal: null };
        let onStatus: (s: typeof status) => void = () => undefined;
        const exitStatus = new Promise<typeof status>((res) => (onStatus = res));
        stream.on('exit', (c: number | null, s?: string) => {
          status = { code: c ?? null, signal: s ?? null };
          onStatus(status);
        });
        const exit = new Promise<typeof status>((res) =>
          stream.on('close', () => {
            onStatus(status); // a channel closed without an exit status (link cut) still ends
            res(status);
          }),
        );
        resolve({
          stdin: stream,
          stdout: stream,
          stderr: stream.stderr,
          exit,
          exitStatus,
          kill: () => {
            try {
              stream.signal('TERM');
            } catch {
              // older servers refuse signals; closing the channel below ends it anyway
            }
            stream.close();
          },
        });
      });
    });
  }

  sftp(): Promise<SFTPWrapper> {
    this.sftpSession ??= new Promise<SFTPWrapper>((resolve, reject) =>
      this.client.sftp((err, sftp) => {
        if (err) {
          this.sftpSession = undefined;
          reject(new SshUnreachableError(this.target, `SFTP unavailable: ${err.message}`, { cause: err }));
        } else {
          sftp.on('close', () => (this.sftpSession = undefined));
          resolve(sftp);
        }
      }),
    );
    return this.sftpSession;
  }

  close(): void {
    this.client.end();
    for (const h of this.hops) h.end();
  }
}

/** Connects to `host` through its jump chain; every hop's host key is verified against its own address and port. */
export async function connect(host: Host, opts: ConnectOptions): Promise<SshConnection> {
  if (host.kind === 'local')
    throw new CoreError('invalid-request', `host ${host.name} is local: it runs commands without SSH`);
  const resolve =
    opts.resolveHost ??
    ((n: string) => {
      throw new CoreError('not-found', `jump host ${n} is not in the inventory`);
    });
  const chain = [...jumpChain(host, resolve), host];
  const clients: Client[] = [];
  try {
    let sock: Readable | undefined;
    let prev: { hop: Host; client: Client } | undefined;
    for (const [i, hop] of chain.entries()) {
      if (prev)
        sock = await forwardOut(
          prev.client,
          prev.hop.name,
          hop,
          opts.timeoutMs ?? hop.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
        );
      const client = await connectHop(hop, sock, opts, i < chain.length - 1 ? host.name : undefined);
      clients.push(client);
      prev = { hop, client };
    }
  } catch (e) {
    for (const c of clients) c.end();
    throw e;
  }
  const last = clients.pop();
  if (!last) throw new CoreError('internal', 'no connection was made');
  return new SshConnection(host, loginUser(host), last, clients);
}
