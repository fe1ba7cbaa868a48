import type { TransportStatus } from '../api/transport';

/**
 * Loud, not 11 px in the status bar: when the page has lost pktpath, a banner across the top says so and what to
 * do. A restarted pktpath has a new token, so only its new URL works; a stopped one may come back by itself.
 */
export function ConnectionBanner({ status }: { status: TransportStatus }) {
  // always rendered: the app's grid keeps a row for it (empty while connected)
  if (status.state !== 'closed') return <div />;
  return (
    <div className="banner bad connection-banner" role="alert" data-testid="connection-banner">
      <b>{status.reason}.</b>{' '}
      {status.cause === 'restarted'
        ? 'A trace the old process was running ended with it; saved sessions are kept.'
        : 'Calls fail until it is back; this page keeps trying.'}
    </div>
  );
}
