import type { CoreService } from '../core/service/create-core.js';
import type { CliIo } from './cli-io.js';

export interface CliContext {
  io: CliIo;
  /** The core, created on first use (so `--help` touches no data dir). */
  core(): Promise<CoreService>;
}

export type Command = (argv: readonly string[], ctx: CliContext) => Promise<number>;

export const json = (v: unknown): string => JSON.stringify(v, null, 2);
