import type { NetfilterPoint, VerdictKind } from '../../api/explain.js';
import type { Facts } from './facts.js';

/** Evidence a rule reads; when a run lacks it, the diagnosis says what would supply it (`missing`). */
export type Need =
  | 'reason'
  | 'nftables'
  | 'iptables'
  | 'routes'
  | 'sysctls'
  | 'neighbours'
  | 'listeners'
  | 'links'
  | 'tc'
  | 'counters'
  | 'answer';

export interface EvidenceItem {
  kind: 'hop' | 'context' | 'counter' | 'probe' | 'link';
  text: string;
  hop?: number;
}

/** What a rule says about a packet it explains. */
export interface Finding {
  summary: string;
  /** what to check or change, each with the command that confirms it */
  advice: string[];
  evidence: EvidenceItem[];
  /** the netfilter point it determined (hook, table, chain, rule), for `drop.netfilter` */
  netfilter?: NetfilterPoint;
}

/**
 * One entry of the rule library: which packets it is about (verdicts, kernel drop reasons or drop functions), what
 * evidence it reads, and how it puts the finding in words. Rules are tried in library order; the first that
 * explains a packet gives its diagnosis.
 */
export interface DiagnosisRule {
  id: string;
  /** one line for the docs: what it recognises */
  title: string;
  verdicts: readonly VerdictKind[];
  /** kernel drop reasons it is about (any of them); absent: any reason */
  reasons?: readonly string[];
  /** drop-deciding functions it is about, for kernels that report no reason (< 5.17) */
  functions?: readonly string[];
  needs: readonly Need[];
  explain(f: Facts): Finding | undefined;
}
