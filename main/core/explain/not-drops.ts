/** Reasons the kernel reports for frees that are not drops. */
export const NOT_DROPS: ReadonlySet<string> = new Set([
  'SKB_NOT_DROPPED_YET',
  'SKB_CONSUMED',
  'NOT_DROPPED_YET',
  'CONSUMED',
]);
