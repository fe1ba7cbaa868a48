import { useEffect, useMemo } from 'react';

/** A session's Markdown report from `sessions.report`: read it here, or download it as a file (browser mode too). */
export function ReportDialog(props: {
  title: string;
  fileName: string;
  markdown: string;
  onClose: () => void;
}) {
  const url = useMemo(
    () => URL.createObjectURL(new Blob([props.markdown], { type: 'text/markdown' })),
    [props.markdown],
  );
  useEffect(() => () => URL.revokeObjectURL(url), [url]);
  return (
    <div className="dialog-backdrop">
      <div
        className="dialog"
        role="dialog"
        aria-label="Markdown report"
        style={{ width: 'min(900px, 90vw)' }}
        onKeyDown={(e) => e.key === 'Escape' && props.onClose()}
      >
        <h2>Report: {props.title}</h2>
        <pre
          className="mono"
          data-testid="report"
          style={{ maxHeight: '60vh', overflow: 'auto', fontSize: 12 }}
        >
          {props.markdown}
        </pre>
        <div className="actions">
          <a className="button" href={url} download={props.fileName}>
            Download {props.fileName}
          </a>
          <span className="spacer" />
          <button className="primary" autoFocus onClick={props.onClose}>
            Close
          </button>
        </div>
      </div>
    </div>
  );
}
