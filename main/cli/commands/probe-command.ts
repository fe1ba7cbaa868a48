import type { ProbeFacts } from '../../api/trace.js';
import { parseCommand } from '../args.js';
import { json, type CliContext } from '../cli-context.js';

export async function probeCommand(argv: readonly string[], ctx: CliContext): Promise<number> {
  const { at, values } = parseCommand(
    'probe',
    argv,
    { json: { type: 'boolean' }, refresh: { type: 'boolean' } },
    { min: 1, max: 1, names: 'HOST [--json] [--refresh]' },
  );
  const facts = await (await ctx.core()).call('probe.run', { host: at(0), refresh: values.refresh ?? false });
  if (values.json) ctx.io.out(json(facts));
  else for (const line of describeFacts(facts)) ctx.io.out(line);
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
    `auto picks  ${f.auto === 'none' ? 'none: tracepoints and TC only' : f.auto}`,
    `skb funcs   ${f.skbFunctions.traceable} traceable of ${f.skbFunctions.btf} in BTF` +
      (f.skbFunctions.availableFilterFunctions?.ok === false
        ? ` (${f.skbFunctions.availableFilterFunctions.error ?? 'ftrace unreadable'})`
        : ''),
    `tracepoints ${f.tracepoints.length}, drop reasons ${f.dropReasons.length}`,
    ...(f.probedAt ? [`probed      ${f.probedAt}`] : []),
  ];
}
