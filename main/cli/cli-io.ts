import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import type { HostKeyDecision, HostKeyPrompt, SecretPrompt } from '../api/contract.js';
import { visibleControls } from '../core/visible-controls.js';

/** What the CLI talks to: its output lines, and (for prompts) the terminal or a scripted stdin. */
export interface CliIo {
  out(line: string): void;
  err(line: string): void;
  /** Resolves once `out`'s buffer has room again (stdout to a slow socket or pipe), so long output stays bounded. */
  drained?(): Promise<void>;
  stdin?: Readable;
  /** Where prompts are written (the terminal); default stderr. */
  promptOut?: Writable;
  /** stdin is a terminal: ask questions interactively. */
  isTTY?: boolean;
  env?: NodeJS.ProcessEnv;
}

/**
 * The one place CLI output is made safe for a terminal: every line (text or JSON, stdout or stderr) and every prompt
 * shows control and bidi characters as `\uXXXX`. Titles, notes, a remote `uname -r`, function names and host errors
 * are untrusted; JSON stays valid, as JSON.stringify escapes C0 itself and `\uXXXX` is JSON's own escape.
 */
export function terminalSafeIo(io: CliIo): CliIo {
  return {
    ...io,
    out: (line) => io.out(visibleControls(line)),
    err: (line) => io.err(visibleControls(line)),
  };
}

export type HostKeyAnswer = HostKeyDecision;

/**
 * Answers the core's questions from the command line. On a terminal: OpenSSH's host-key question and hidden
 * password input. Not on a terminal: an unknown host key is refused unless --accept-new-host-key was given, and a
 * secret is read as one line from stdin (as `sudo -S` does), so scripts can pipe a password in.
 */
export class CliPrompter {
  private lines: AsyncIterator<string> | undefined;

  constructor(
    private readonly io: CliIo,
    private readonly acceptNewHostKey: boolean,
  ) {}

  private async readLine(hidden: boolean, question: string): Promise<string | undefined> {
    const stdin = this.io.stdin;
    if (!stdin) return undefined;
    const out = this.io.promptOut ?? process.stderr;
    if (this.io.isTTY) {
      out.write(visibleControls(question)); // a keyboard-interactive prompt is the server's text
      const tty = stdin as Readable & { setRawMode?: (raw: boolean) => void };
      if (hidden && tty.setRawMode) return readHidden(tty, out);
    }
    this.lines ??= createInterface({ input: stdin, crlfDelay: Infinity, terminal: false })[
      Symbol.asyncIterator
    ]();
    const r = await this.lines.next();
    return r.done ? undefined : r.value;
  }

  async hostKey(p: HostKeyPrompt): Promise<HostKeyAnswer> {
    if (this.acceptNewHostKey) {
      this.io.err(
        `pktpath: accepted and saved the new ${p.keyType} host key ${p.fingerprint} of ${p.hostPattern}`,
      );
      return 'accept-and-save';
    }
    if (!this.io.isTTY) return 'reject';
    const via = p.viaJumpFor ? ` (jump host for ${p.viaJumpFor})` : '';
    const answer = await this.readLine(
      false,
      `The authenticity of host '${p.hostPattern}'${via} can't be established.\n` +
        `${p.keyType} key fingerprint is ${p.fingerprint}.\n` +
        `Are you sure you want to continue connecting (yes = trust and save / once / no)? `,
    );
    const a = (answer ?? '').trim().toLowerCase();
    if (a === 'yes' || a === 'y') return 'accept-and-save';
    if (a === 'once') return 'accept-once';
    return 'reject';
  }

  async secret(p: SecretPrompt): Promise<string | null> {
    const v = await this.readLine(true, `${p.prompt}: `);
    return v ?? null;
  }

  close(): void {
    void this.lines?.return?.();
  }
}

/** Reads a line without echo from a raw-mode terminal. */
function readHidden(
  tty: Readable & { setRawMode?: (raw: boolean) => void },
  out: Writable,
): Promise<string | undefined> {
  return new Promise((resolve) => {
    let buf = '';
    tty.setRawMode?.(true);
    tty.resume();
    const done = (v: string | undefined) => {
      tty.off('data', onData);
      tty.setRawMode?.(false);
      tty.pause();
      out.write('\n');
      resolve(v);
    };
    const onData = (d: Buffer) => {
      for (const ch of d.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done(buf);
        if (ch === '\u0003' || ch === '\u0004') return done(undefined); // Ctrl-C / Ctrl-D: cancel
        if (ch === '\u007f') buf = buf.slice(0, -1);
        else buf += ch;
      }
    };
    tty.on('data', onData);
  });
}
