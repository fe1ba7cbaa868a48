import type { Session, SessionRun } from '../../api/sessions.js';
import type { PacketPath } from '../../api/trace.js';

/** A Markdown report of a session: what ran where, the path variants, and each variant's hops with Δt. */

/** A path variant as the report shows it: its count, its first packet ids, and the first packet's hops. */
export interface ReportVariant {
  count: number;
  /** The first (up to 11) packet ids that took this path; more than 10 prints "…". */
  packetIds: number[];
  packet: PacketPath | undefined;
}

const esc = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const us = (ns: number) => (ns / 1000).toFixed(1);

function runSection(run: SessionRun, index: number, variants: readonly ReportVariant[]): string[] {
  const s = run.spec;
  const probes =
    s.probes.kind === 'profile'
      ? `profile ${s.probes.name}`
      : `custom list${s.probes.source ? ` (${s.probes.source})` : ''}`;
  const out = [
    `## Run ${index + 1}: ${esc(run.host)} (${run.id})`,
    '',
    `- started ${run.startedAt}${run.endedAt ? `, ended ${run.endedAt}` : ''}${run.kernelRelease ? `, kernel ${run.kernelRelease}` : ''}`,
    `- filter \`${s.filter || '(all packets)'}\`, ${probes}, mode ${run.mode}${s.mode !== run.mode ? ` (asked ${s.mode})` : ''}`,
    `- ${run.packets} packets, ${run.lost} events lost`,
    '',
  ];
  variants.forEach((v, vi) => {
    const p = v.packet;
    out.push(
      `### Path ${vi + 1}: ${v.count} packet${v.count === 1 ? '' : 's'}${p?.drop_reason ? ` — dropped: ${esc(p.drop_reason)}` : ''}`,
      '',
    );
    if (!p) return;
    out.push(
      `Packet ${p.id} (packets ${v.packetIds.slice(0, 10).join(', ')}${v.packetIds.length > 10 ? ', …' : ''}):`,
      '',
    );
    out.push('| # | function | Δt (µs) | ifindex | len |', '| --: | --- | --: | --: | --: |');
    p.hops.forEach((h, i) => {
      const prev = p.hops[i - 1];
      out.push(
        `| ${i} | \`${esc(h.function)}\` | ${prev ? us(h.ts_ns - prev.ts_ns) : '0.0'} | ${h.ifindex} | ${h.len} |`,
      );
    });
    out.push('');
  });
  return out;
}

export function sessionToMarkdown(
  session: Session,
  variantsOf: (run: SessionRun, index: number) => readonly ReportVariant[],
): string {
  const lines = [
    `# ${esc(session.title)}`,
    '',
    `pktpath session \`${session.id}\`, updated ${session.updatedAt}.`,
    '',
  ];
  if (session.notes) lines.push(session.notes, '');
  if (session.hosts.length) {
    lines.push('| host | address | kernel | arch |', '| --- | --- | --- | --- |');
    for (const h of session.hosts)
      lines.push(
        `| ${esc(h.name)} | ${esc(h.address)} | ${esc(h.kernelRelease ?? '')} | ${esc(h.arch ?? '')} |`,
      );
    lines.push('');
  }
  session.runs.forEach((r, i) => lines.push(...runSection(r, i, variantsOf(r, i))));
  if (session.annotations.length) {
    lines.push('## Notes', '');
    for (const a of session.annotations) {
      const where = [
        a.runId && `run ${a.runId}`,
        a.packetId !== undefined && `packet ${a.packetId}`,
        a.hopIndex !== undefined && `hop ${a.hopIndex}`,
      ]
        .filter(Boolean)
        .join(', ');
      lines.push(`- ${where ? `(${where}) ` : ''}${esc(a.text)}`);
    }
    lines.push('');
  }
  return lines.join('\n');
}
