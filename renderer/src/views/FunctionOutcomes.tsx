import { groupByReason } from '../../../main/api/trace';

/** Up to this many functions are said in one line; more open from a summary that counts them by reason. */
const INLINE_MAX = 3;

/**
 * Functions that met the same fate as a run started (not attached, or taken by another backend), grouped by what
 * befell them: a short list inline, a long one (fentry on 6.1 refuses hundreds of module functions) as a summary
 * of counts per reason that opens to every name.
 */
export function FunctionOutcomes<T extends { function: string; reason: string }>(props: {
  testId: string;
  title: string;
  className: string;
  items: readonly T[];
  /** What befell a group, after its functions or its count: "by kprobe (fentry: module functions need kprobe)". */
  how: (group: Omit<T, 'function'>) => string;
}) {
  const { items, how } = props;
  if (!items.length) return null;
  const groups = groupByReason(items);
  if (items.length <= INLINE_MAX)
    return (
      <div className={props.className} data-testid={props.testId}>
        {props.title}: {groups.map((g) => `${g.functions.join(', ')} ${how(g)}`).join('; ')}
      </div>
    );
  return (
    <details data-testid={props.testId}>
      <summary className={props.className}>
        {props.title}: {items.length} functions —{' '}
        {groups.map((g) => `${g.functions.length} ${how(g)}`).join('; ')}
      </summary>
      {groups.map((g) => (
        <div key={how(g)} className="outcome-group">
          <span className="dim">{how(g)}:</span> <span className="mono">{g.functions.join(', ')}</span>
        </div>
      ))}
    </details>
  );
}
