import { TraceLimitsSchema, type TraceSpecInput } from '../../../main/api/trace';

type Limits = NonNullable<TraceSpecInput['limits']>;

const WHOLE = /^\d+$/;
const DECIMAL = /^\d+(\.\d+)?$/;

/**
 * The form's limit fields → the spec's limits. Empty or 0 means "no limit"; anything else must be a plain number
 * (`1e`, `5s` or `-3` are errors, never a silent "no limit"), then the contract's own schema checks the range.
 */
export function parseLimits(
  packets: string,
  durationS: string,
): { limits: Limits } | { errors: LimitErrors } {
  const errors: LimitErrors = {};
  const limits: Limits = {};
  const p = packets.trim();
  const d = durationS.trim();
  if (p && !WHOLE.test(p))
    errors.packets = `packet limit “${p}”: a whole number of packets (empty or 0: none)`;
  else if (Number(p) > 0) limits.packets = Number(p);
  if (d && !DECIMAL.test(d))
    errors.durationS = `duration “${d}”: a number of seconds, e.g. 30 or 2.5 (empty or 0: none)`;
  else if (Number(d) > 0) limits.durationS = Number(d);
  const checked = TraceLimitsSchema.safeParse(limits);
  if (!checked.success)
    for (const issue of checked.error.issues) {
      const key = issue.path[0] === 'packets' ? 'packets' : 'durationS';
      errors[key] ??= issue.message;
    }
  return errors.packets || errors.durationS ? { errors } : { limits };
}

export interface LimitErrors {
  packets?: string;
  durationS?: string;
}
