import { useEffect, useMemo } from 'react';
import { Dialog } from './Dialog';
import { MarkdownDoc } from './MarkdownDoc';

/** A session's Markdown report from `sessions.report`: read it here rendered, or download the Markdown as a file
 * (browser mode too). */
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
    <Dialog label="Markdown report" title={`Report: ${props.title}`} onClose={props.onClose} wide>
      <div className="report-body" tabIndex={0} aria-label="report text">
        <MarkdownDoc markdown={props.markdown} testId="report" />
      </div>
      <div className="actions">
        <a className="button" href={url} download={props.fileName}>
          Download {props.fileName}
        </a>
        <span className="spacer" />
        <button className="primary" autoFocus onClick={props.onClose}>
          Close
        </button>
      </div>
    </Dialog>
  );
}
