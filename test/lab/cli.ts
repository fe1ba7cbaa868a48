// npm run lab:up | lab:down | lab:status | lab:inventory | lab:exec — the lab outside of a test run (for
// debugging, for faster reruns, and for trying every lab kernel by hand with the CLI or the app).
import { spawn } from 'node:child_process';
import { pktpathHome } from '../../main/core/data-dir.js';
import { writeLabInventory } from './inventory.js';
import { hostAnswers, labDown, labStatus, labTarget, labUp, readLabState, type LabHostName } from './lab.js';
import { sshArgs } from './ssh-client.js';

const USAGE = 'usage: tsx test/lab/cli.ts up [--no-vms] | down | status | inventory | exec HOST [COMMAND...]';

/** The recorded hosts that answer; one that does not is named on stderr, never left out silently. */
async function liveLab() {
  const state = readLabState();
  if (!state) throw new Error('the lab is down (npm run lab:up)');
  const hosts = Object.values(state.hosts);
  const up = await Promise.all(hosts.map((h) => hostAnswers(state, h, 2)));
  hosts.forEach((h, i) => {
    if (!up[i]) console.error(`${h.name}: does not answer on 127.0.0.1:${h.port}; left out (npm run lab:up)`);
  });
  state.hosts = Object.fromEntries(hosts.filter((_, i) => up[i]).map((h) => [h.name, h]));
  return state;
}

/** Runs COMMAND on a lab host as root over OpenSSH (host key pinned); no COMMAND opens a shell. */
async function labExec(host: string | undefined, command: string[]): Promise<number> {
  const state = readLabState();
  if (!state) throw new Error('the lab is down (npm run lab:up)');
  if (!host || !(host in state.hosts))
    throw new Error(`lab host ${host ?? '(none)'}: not one of ${Object.keys(state.hosts).join(', ')}`);
  const args = sshArgs(labTarget(state, host as LabHostName), state.runtimeDir);
  const tty = command.length === 0 ? ['-t'] : [];
  const child = spawn('ssh', [...tty, ...args, ...command], { stdio: 'inherit' });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}

const [cmd, ...rest] = process.argv.slice(2);
const main = async (): Promise<number> => {
  switch (cmd) {
    case 'up': {
      const { started } = await labUp({ vms: !rest.includes('--no-vms'), log: (l) => console.log(l) });
      console.log(started.length ? `started: ${started.join(', ')}` : 'lab already up');
      return 0;
    }
    case 'down':
      await labDown();
      console.log('lab down');
      return 0;
    case 'status': {
      const hosts = await labStatus();
      if (!hosts.length) console.log('lab is down');
      for (const h of hosts)
        console.log(`${h.name.padEnd(6)} ${h.up ? 'up  ' : 'DOWN'} 127.0.0.1:${h.port} ${h.kernelRelease}`);
      return hosts.every((h) => h.up) && hosts.length > 0 ? 0 : 1;
    }
    case 'inventory': {
      for (const line of writeLabInventory(await liveLab())) console.log(line);
      console.log(`written to ${pktpathHome()} (hosts.json, known_hosts)`);
      return 0;
    }
    case 'exec':
      return labExec(rest[0], rest.slice(1));
    default:
      console.error(USAGE);
      return 2;
  }
};
main().then(
  (code) => (process.exitCode = code),
  (e: unknown) => {
    console.error(`lab: ${e instanceof Error ? e.message : String(e)}`);
    process.exitCode = 1;
  },
);
