import type { MetaFilter } from '../../../main/api/trace';
import {
  parseInterface,
  parseMark,
  parseNetns,
  parseTcPoints,
  type TcPoint,
} from '../../../main/api/trace-scope';

/** The Trace form's scope fields, as typed (empty = not scoped). */
export interface ScopeText {
  netns: string;
  iface: string;
  mark: string;
  tc: string;
}
export const NO_SCOPE: ScopeText = { netns: '', iface: '', mark: '', tc: '' };

export type ScopeErrors = Partial<Record<keyof ScopeText, string>>;

/** The fields → the spec's `meta` and `tc`, with the CLI's grammar (api/trace-scope.ts), or an error per field. */
export function parseScope(s: ScopeText): { meta: MetaFilter; tc: TcPoint[] } | { errors: ScopeErrors } {
  const errors: ScopeErrors = {};
  const meta: MetaFilter = {};
  const take = <T>(
    field: keyof ScopeText,
    text: string,
    parse: (t: string) => { value: T } | { error: string },
  ) => {
    if (!text.trim()) return undefined;
    const r = parse(text);
    if ('error' in r) errors[field] = r.error;
    return 'value' in r ? r.value : undefined;
  };
  const netns = take('netns', s.netns, parseNetns);
  if (netns !== undefined) meta.netns = netns;
  Object.assign(meta, take('iface', s.iface, parseInterface) ?? {});
  const mark = take('mark', s.mark, parseMark);
  if (mark) meta.mark = mark;
  const tc: TcPoint[] = take('tc', s.tc, parseTcPoints) ?? [];
  return Object.keys(errors).length ? { errors } : { meta, tc };
}
