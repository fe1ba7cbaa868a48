import type { Session } from '../../api/sessions.js';
import type { Run } from '../../api/trace.js';
import { pathVariants } from '../compare/compare-runs.js';

/** A Markdown report of a session: what ran where, the path variants, and each variant's hops with Δt. */

const esc = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const us = (ns: number) => (ns / 1000).toFixed(1);

function runSection(run: Run, index: number): string[] {
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
    `- ${run.packets.length} packets, ${run.lost} events lost`,
    '',
  ];
  const variants = pathVariants(run.packets);
  variants.forEach((v, vi) => {
    const p = run.packets.find((x) => x.id === v.packet_ids[0]);
    out.push(
      `### Path ${vi + 1}: ${v.count} packet${v.count === 1 ? '' : 's'}${p?.drop_reason ? ` — dropped: ${esc(p.drop_reason)}` : ''}`,
      '',
    );
    if (!p) return;
    out.push(
      `Packet ${p.id} (packets ${v.packet_ids.slice(0, 10).join(', ')}${v.packet_ids.length > 10 ? ', …' : ''}):`,
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

export function sessionToMarkdown(session: Session): string {
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
  session.runs.forEach((r, i) => lines.push(...runSection(r, i)));
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
