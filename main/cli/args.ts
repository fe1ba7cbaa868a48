import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A command line that does not parse: exit code 2, like other Unix tools. */
export class UsageError extends Error {
  readonly exitCode = 2;
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** node:util parseArgs, strict, with its errors turned into one-line UsageErrors naming the command. */
export function parseCommand<O extends Options>(
  command: string,
  argv: readonly string[],
  options: O,
  positionals: { min: number; max: number; names: string },
) {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError(`${command}: ${(e as Error).message.split('\n')[0]}`);
  }
  const n = parsed.positionals.length;
  if (n < positionals.min || n > positionals.max)
    throw new UsageError(`usage: pktpath ${command} ${positionals.names}`);
  /** The i-th positional argument (present: the count was checked above). */
  const at = (i: number): string => {
    const v = parsed.positionals[i];
    if (v === undefined) throw new UsageError(`usage: pktpath ${command} ${positionals.names}`);
    return v;
  };
  return { ...parsed, at };
}

/** A flag that must be a non-negative integer. */
export function intOption(
  command: string,
  name: string,
  value: string | undefined,
  min = 0,
): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < min)
    throw new UsageError(
      `${command}: --${name} takes a whole number${min ? ` ≥ ${min}` : ''}, not "${value}"`,
    );
  return Number(value);
}

export function numberOption(command: string, name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value) || !(n > 0))
    throw new UsageError(`${command}: --${name} takes a positive number, not "${value}"`);
  return n;
}
