import type { PacketPath } from '../api/trace.js';

/** The diagnosis under a packet in `trace` text output: the sentence, then advice and missing evidence. */
export function* diagnosisLines(p: PacketPath): Generator<string> {
  const d = p.diagnosis;
  if (!d) return;
  yield `  diagnosis [${d.rule}]: ${d.summary}`;
  for (const a of d.advice) yield `    advice: ${a}`;
  for (const m of d.missing ?? []) yield `    missing: ${m}`;
}
