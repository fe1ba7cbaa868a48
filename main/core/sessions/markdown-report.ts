import type { Session, SessionRun } from '../../api/sessions.js';
import type { PacketPath } from '../../api/trace.js';
import { mdBlock, mdCode, mdText } from './markdown-text.js';

/**
 * A Markdown report of a session: what ran where, the path variants, and each variant's hops with Δt. Every string
 * from the session (it may be an imported file) goes through markdown-text.ts, so the report never carries live
 * HTML, links or images; lines are appended one at a time, never spread, as a packet may have 100k+ hops.
 */

/** A path variant as the report shows it: its count and drops (by verdict, as every face counts them), its first
 * packet ids, and the first packet, explained, with its hops. */
export interface ReportVariant {
  count: number;
  dropped: number;
  /** The first (up to 11) packet ids that took this path; more than 10 prints "…". */
  packetIds: number[];
  packet: PacketPath | undefined;
}

const us = (ns: number) => (ns / 1000).toFixed(1);

function runHeader(out: string[], run: SessionRun, index: number): void {
  const s = run.spec;
  const probes =
    s.probes.kind === 'profile'
      ? `profile ${s.probes.name}`
      : `custom list${s.probes.source ? ` (${mdText(s.probes.source)})` : ''}`;
  out.push(
    `## Run ${index + 1}: ${mdText(run.host)} (${mdText(run.id)})`,
    '',
    `- started ${run.startedAt}${run.endedAt ? `, ended ${run.endedAt}` : ''}${run.kernelRelease ? `, kernel ${mdText(run.kernelRelease)}` : ''}`,
    `- filter ${s.filter ? mdCode(s.filter) : '`(all packets)`'}, ${probes}, mode ${run.mode}${s.mode !== run.mode ? ` (asked ${s.mode})` : ''}`,
    `- ${run.packets} packets, ${run.lost} events lost`,
    '',
  );
}

function variantSection(out: string[], v: ReportVariant, vi: number): void {
  const p = v.packet;
  // a free's reason is not a drop by itself (a ping reply's original is freed NO_SOCKET once its copy is delivered)
  const drops = v.dropped
    ? ` — ${v.dropped} dropped${p?.drop_reason ? ` (${mdText(p.drop_reason)})` : ''}`
    : '';
  out.push(`### Path ${vi + 1}: ${v.count} packet${v.count === 1 ? '' : 's'}${drops}`, '');
  if (!p) return;
  const verdict = p.verdict ? ` ${mdText(p.verdict.summary)}.` : '';
  out.push(
    `Packet ${p.id} (packets ${v.packetIds.slice(0, 10).join(', ')}${v.packetIds.length > 10 ? ', …' : ''}):${verdict}`,
    '',
    '| # | function | Δt (µs) | ifindex | len |',
    '| --: | --- | --: | --: | --: |',
  );
  p.hops.forEach((h, i) => {
    const prev = p.hops[i - 1];
    out.push(
      `| ${i} | ${mdCode(h.function, { inTable: true })} | ${prev ? us(h.ts_ns - prev.ts_ns) : '0.0'} | ${h.ifindex} | ${h.len} |`,
    );
  });
  out.push('');
}

function annotationLines(out: string[], session: Session): void {
  if (!session.annotations.length) return;
  out.push('## Notes', '');
  for (const a of session.annotations) {
    const where = [
      a.runId && `run ${mdText(a.runId)}`,
      a.packetId !== undefined && `packet ${a.packetId}`,
      a.hopIndex !== undefined && `hop ${a.hopIndex}`,
    ]
      .filter(Boolean)
      .join(', ');
    out.push(`- ${where ? `(${where}) ` : ''}${mdText(a.text)}`);
  }
  out.push('');
}

export function sessionToMarkdown(
  session: Session,
  variantsOf: (run: SessionRun, index: number) => readonly ReportVariant[],
): string {
  const lines = [
    `# ${mdText(session.title)}`,
    '',
    `pktpath session ${mdCode(session.id)}, updated ${session.updatedAt}.`,
    '',
  ];
  // Notes are free text, possibly many lines: shown verbatim rather than interpreted.
  if (session.notes) for (const line of [...mdBlock(session.notes), '']) lines.push(line);
  if (session.hosts.length) {
    lines.push('| host | address | kernel | arch |', '| --- | --- | --- | --- |');
    for (const h of session.hosts)
      lines.push(
        `| ${mdText(h.name)} | ${mdText(h.address)} | ${mdText(h.kernelRelease ?? '')} | ${mdText(h.arch ?? '')} |`,
      );
    lines.push('');
  }
  session.runs.forEach((r, i) => {
    runHeader(lines, r, i);
    variantsOf(r, i).forEach((v, vi) => variantSection(lines, v, vi));
  });
  annotationLines(lines, session);
  return lines.join('\n');
}
