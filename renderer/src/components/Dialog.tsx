import type { ReactNode } from 'react';

/** A modal dialog over the backdrop, named for assistive tech by `label`, with its title; Escape closes it.
 * `wide`: for a document or a table (the report, the ssh_config import preview). */
export function Dialog(props: {
  label: string;
  title: ReactNode;
  onClose: () => void;
  wide?: boolean;
  children: ReactNode;
}) {
  return (
    <div className="dialog-backdrop">
      <div
        className={props.wide ? 'dialog wide' : 'dialog'}
        role="dialog"
        aria-label={props.label}
        onKeyDown={(e) => e.key === 'Escape' && props.onClose()}
      >
        <h2>{props.title}</h2>
        {props.children}
      </div>
    </div>
  );
}
