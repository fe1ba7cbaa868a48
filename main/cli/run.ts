import { ContractError } from '../api/validate.js';
import { CoreError } from '../core/errors.js';
import { createCore, type CoreService } from '../core/service/create-core.js';
import { pktpathVersion } from '../version.js';
import { UsageError } from './args.js';
import { CliPrompter, terminalSafeIo, type CliIo } from './cli-io.js';
import type { CliContext, Command } from './cli-context.js';
import { compareCommand } from './commands/compare-command.js';
import { hostsCommand } from './commands/hosts-command.js';
import { probeCommand } from './commands/probe-command.js';
import { serveCommand } from './commands/serve-command.js';
import { sessionsCommand } from './commands/sessions-command.js';
import { traceCommand } from './commands/trace-command.js';

const USAGE = `Usage: pktpath <command> [options]

Commands:
  hosts      add|list|rm|test|import-ssh-config: the inventory of machines (docs/CLI.md)
  probe      HOST: what the host's kernel can trace (release, BTF, attach kinds, skb functions)
  trace      HOST --filter EXPR: the path of matching packets through the host's kernel
  sessions   list|show|export|import|rm: saved traces
  compare    A B: two packet paths aligned, with the first divergence (A, B = SESSION[:RUN[:PACKET]])
  serve      [--port N]: browser mode on 127.0.0.1

Options:
  --accept-new-host-key  trust and save an unknown SSH host key (never a changed one)
  -h, --help             show this help
  -V, --version          print the version

Environment: PKTPATH_HOME selects the data dir. Exit status: 0 ok, 1 failed, 2 bad usage.`;

const COMMANDS: Record<string, Command> = {
  hosts: hostsCommand,
  probe: probeCommand,
  trace: traceCommand,
  sessions: sessionsCommand,
  compare: compareCommand,
  serve: serveCommand,
};

/** Runs one CLI invocation; every failure is one line on stderr and a non-zero exit code, never a stack trace. */
export async function runCli(argv: readonly string[], rawIo: CliIo): Promise<number> {
  const io = terminalSafeIo(rawIo);
  const acceptNewHostKey = argv.includes('--accept-new-host-key');
  const args = argv.filter((a) => a !== '--accept-new-host-key');
  const [first, ...rest] = args;
  if (first === undefined || first === '-h' || first === '--help' || first === 'help') {
    io.out(USAGE);
    return 0;
  }
  if (first === '-V' || first === '--version') {
    io.out(`pktpath ${pktpathVersion()}`);
    return 0;
  }
  const command = COMMANDS[first];
  if (!command) {
    io.err(`pktpath: unknown command '${first}' (try --help)`);
    return 2;
  }

  const prompter = new CliPrompter(io, acceptNewHostKey);
  let core: CoreService | undefined;
  const ctx: CliContext = {
    io,
    core: async () => {
      if (core) return core;
      const env = io.env ?? process.env;
      core = await createCore(env.PKTPATH_HOME ? { home: env.PKTPATH_HOME } : {});
      const c = core;
      c.onEvent((event, p) => {
        if (event === 'hostKey.prompt') {
          void prompter
            .hostKey(p)
            .then((decision) =>
              c.call('hostKey.decide', { promptId: p.promptId, decision }).catch(() => undefined),
            );
        } else if (event === 'secret.prompt') {
          void prompter
            .secret(p)
            .then((value) =>
              c.call('secret.provide', { promptId: p.promptId, value }).catch(() => undefined),
            );
        }
      });
      return c;
    },
  };
  try {
    return await command(rest, ctx);
  } catch (e) {
    io.err(`pktpath: ${messageOf(e)}`);
    return e instanceof UsageError ? 2 : e instanceof ContractError ? 2 : 1;
  } finally {
    prompter.close();
    await core?.close();
  }
}

function messageOf(e: unknown): string {
  if (e instanceof CoreError || e instanceof UsageError || e instanceof ContractError)
    return oneLine(e.message);
  return oneLine(e instanceof Error ? e.message : String(e));
}

const oneLine = (s: string) => s.replace(/\s*\n\s*/g, '; ');
