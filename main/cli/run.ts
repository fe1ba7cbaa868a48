import { pktpathVersion } from '../version.js';

// The CLI's commands (hosts, probe, trace, sessions, compare) arrive with the core; until then it answers
// --version and --help truthfully and refuses everything else with a non-zero exit.
const USAGE = `Usage: pktpath <command> [options]

Commands (being built; see docs/ARCHITECTURE.md):
  hosts      manage the inventory of remote machines
  probe      probe a host's kernel: release, BTF, attach kinds, traceable skb functions
  trace      trace matching packets through a host's kernel
  sessions   list, show, export and import saved sessions
  compare    compare two packet paths side by side

Options:
  -h, --help     show this help
  -V, --version  print the version`;

export function runCli(argv: readonly string[], out: (s: string) => void, err: (s: string) => void): number {
  const [first] = argv;
  if (first === undefined || first === '-h' || first === '--help' || first === 'help') {
    out(USAGE);
    return 0;
  }
  if (first === '-V' || first === '--version') {
    out(`pktpath ${pktpathVersion()}`);
    return 0;
  }
  err(`pktpath: '${first}' is not available in this build yet (try --help)`);
  return 2;
}
