import type { ReactNode } from 'react';

/** Empty, loading and error states: each says what is going on and what to do next. */
export function StateMessage(props: {
  kind?: 'empty' | 'loading' | 'error';
  title: string;
  children?: ReactNode;
  actions?: ReactNode;
}) {
  const kind = props.kind ?? 'empty';
  return (
    <div className={`state ${kind}`} role={kind === 'error' ? 'alert' : 'status'} data-state={kind}>
      <h3>{kind === 'loading' ? `${props.title}…` : props.title}</h3>
      {props.children && <div>{props.children}</div>}
      {props.actions && <div className="actions">{props.actions}</div>}
    </div>
  );
}
