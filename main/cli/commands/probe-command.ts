import { LimitFindingsSchema, type LimitFinding } from '../../api/limits.js';
import { autoPicks, type ProbeFacts } from '../../api/trace.js';
import { CoreError } from '../../core/errors.js';
import { parseCommand } from '../args.js';
import { json, type CliContext } from '../cli-context.js';

export async function probeCommand(argv: readonly string[], ctx: CliContext): Promise<number> {
  const { at, values } = parseCommand(
    'probe',
    argv,
    { json: { type: 'boolean' }, refresh: { type: 'boolean' } },
    { min: 1, max: 1, names: 'HOST [--json] [--refresh]' },
  );
  let facts: ProbeFacts;
  try {
    facts = await (await ctx.core()).call('probe.run', { host: at(0), refresh: values.refresh ?? false });
  } catch (e) {
    // A refused probe still explains itself: the preflight's findings ride on the error.
    const limits = e instanceof CoreError ? LimitFindingsSchema.safeParse(e.details?.limits) : undefined;
    if (limits?.success && !values.json) for (const line of describeLimits(limits.data)) ctx.io.out(line);
    if (limits?.success && values.json) ctx.io.out(json({ limits: limits.data }));
    throw e;
  }
  if (values.json) ctx.io.out(json(facts));
  else for (const line of [...describeFacts(facts), ...describeLimits(facts.limits ?? [])]) ctx.io.out(line);
  return 0;
}

function describeFacts(f: ProbeFacts): string[] {
  const kinds = Object.entries(f.attach)
    .map(([k, v]) => (v.ok ? k : `${k} (no: ${v.error ?? 'failed'})`))
    .join(', ');
  return [
    `kernel      ${f.kernel.release} ${f.arch}`,
    `loader      ${f.loader.version} (framing ${f.loader.framing})`,
    `BTF         ${f.btf.vmlinux ? 'vmlinux' : 'none'}${f.btf.modules ? ` + ${f.btf.modules} modules` : ''}`,
    `attach      ${kinds}`,
    `auto picks  ${autoPicks(f)}`,
    `skb funcs   ${f.skbFunctions.traceable} traceable of ${f.skbFunctions.btf} in BTF` +
      (f.skbFunctions.availableFilterFunctions?.ok === false
        ? ` (${f.skbFunctions.availableFilterFunctions.error ?? 'ftrace unreadable'})`
        : ''),
    `tracepoints ${f.tracepoints.length}, drop reasons ${f.dropReasons.length}`,
    ...(f.loadCheck
      ? [`loads       ${f.loadCheck.ok ? 'yes' : `no: ${f.loadCheck.error ?? 'refused'}`}`]
      : []),
    ...(f.probedAt ? [`probed      ${f.probedAt}`] : []),
  ];
}

/** Each limit as `severity id: summary`, then what to do and what on the host shows it. */
function describeLimits(limits: readonly LimitFinding[]): string[] {
  if (!limits.length) return ['limits      none found'];
  return [
    `limits      ${limits.length}`,
    ...limits.flatMap((l) => [
      `  ${l.severity.padEnd(7)} ${l.id}: ${l.summary}`,
      `          do: ${l.advice}`,
      ...(l.evidence.length ? [`          seen: ${l.evidence.join('; ')}`] : []),
    ]),
  ];
}
