// npm run lab:up | lab:down | lab:status — the lab outside of a test run (for debugging and for faster reruns).
import { labDown, labStatus, labUp } from './lab.js';

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
    default:
      console.error('usage: tsx test/lab/cli.ts up [--no-vms] | down | status');
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
