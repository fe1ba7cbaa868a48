import type { Hop } from '../../api/trace.js';

/**
 * Kernel functions that are one function under different names across kernel versions, so that comparing a path
 * traced on one kernel with a path traced on another aligns them instead of reporting a missing and an inserted
 * hop. Each entry is evidence, not belief: the upstream commit that renamed it, and which names the lab's kernels
 * have (`seen`: the name in a kernel's available_filter_functions, i.e. traceable there). The lab test
 * test/lab/function-equivalence.test.ts re-measures `seen` on every lab kernel and fails when it no longer holds.
 * Only true renames belong here (the work moved to the new name, the old one became an inline wrapper or went
 * away), never two different functions that happen to sit at the same place.
 */
export interface FunctionEquivalence {
  /** The names, oldest first. */
  names: readonly string[];
  /** What the function does (the compare output says it). */
  role: string;
  /** Where the equivalence comes from. */
  evidence: string;
  /** Lab kernel (major.minor) → the names of this entry it has. */
  seen: Readonly<Record<string, readonly string[]>>;
}

export const FUNCTION_EQUIVALENCES: readonly FunctionEquivalence[] = [
  {
    names: ['kfree_skb', 'kfree_skb_reason', 'sk_skb_reason_drop'],
    role: 'drops an skb (the skb:kfree_skb tracepoint fires in it)',
    evidence:
      'Linux 5.17 c504e5c2f964 "net: skb: introduce kfree_skb_reason()" (kfree_skb() became its inline wrapper); ' +
      'Linux 6.11 "net: introduce sk_skb_reason_drop function" (kfree_skb_reason() became its inline wrapper)',
    seen: {
      '5.10': ['kfree_skb'],
      '6.1': ['kfree_skb_reason'],
      '6.12': ['sk_skb_reason_drop'],
      '6.18': ['sk_skb_reason_drop'],
    },
  },
  {
    names: ['kfree_skb_list', 'kfree_skb_list_reason'],
    role: 'drops a list of skbs',
    evidence:
      'drop-reason work after 5.17: kfree_skb_list() became an inline wrapper of kfree_skb_list_reason() ' +
      '(lab: 5.10 traces only kfree_skb_list, 6.1 and 6.12 only kfree_skb_list_reason)',
    seen: {
      '5.10': ['kfree_skb_list'],
      '6.1': ['kfree_skb_list_reason'],
      '6.12': ['kfree_skb_list_reason'],
      '6.18': ['kfree_skb_list_reason'],
    },
  },
  {
    names: ['__dev_kfree_skb_any', 'dev_kfree_skb_any_reason'],
    role: 'frees an skb from any context (drivers)',
    evidence:
      'between 6.1 and 6.12 __dev_kfree_skb_any(skb, enum skb_free_reason) became dev_kfree_skb_any_reason(skb, ' +
      'enum skb_drop_reason) (lab: 5.10 and 6.1 trace only the first, 6.12 only the second)',
    seen: {
      '5.10': ['__dev_kfree_skb_any'],
      '6.1': ['__dev_kfree_skb_any'],
      '6.12': ['dev_kfree_skb_any_reason'],
      '6.18': ['dev_kfree_skb_any_reason'],
    },
  },
  {
    names: ['__dev_kfree_skb_irq', 'dev_kfree_skb_irq_reason'],
    role: 'frees an skb from interrupt context (drivers)',
    evidence:
      'between 6.1 and 6.12 __dev_kfree_skb_irq(skb, enum skb_free_reason) became dev_kfree_skb_irq_reason(skb, ' +
      'enum skb_drop_reason) (lab: 5.10 and 6.1 trace only the first, 6.12 only the second)',
    seen: {
      '5.10': ['__dev_kfree_skb_irq'],
      '6.1': ['__dev_kfree_skb_irq'],
      '6.12': ['dev_kfree_skb_irq_reason'],
      '6.18': ['dev_kfree_skb_irq_reason'],
    },
  },
];

const BY_NAME = new Map(FUNCTION_EQUIVALENCES.flatMap((e) => e.names.map((n) => [n, e] as const)));

export function equivalenceOf(name: string): FunctionEquivalence | undefined {
  return BY_NAME.get(name);
}

/** The name a function is aligned by: the newest name of its equivalence, or itself. */
export function alignmentName(name: string): string {
  return BY_NAME.get(name)?.names.at(-1) ?? name;
}

/**
 * A hop's alignment name. Only function hops are renamed: the skb:kfree_skb tracepoint shares its name with the
 * 5.10 function, and a tracepoint is the same tracepoint on every kernel. Hops recorded without `probe_kind` are
 * functions (the contract's default).
 */
export function hopAlignmentName(hop: Pick<Hop, 'function' | 'probe_kind'>): string {
  return hop.probe_kind === 'tracepoint' || hop.probe_kind === 'tc'
    ? hop.function
    : alignmentName(hop.function);
}
