import { useEffect, useState, type RefObject } from 'react';
import { useApp } from '../app/context';
import { checkPcapFilter } from '../model/pcap-filter-check';

/** How long typing must pause before the host compiles the filter (each check is a round trip to the host). */
const HOST_CHECK_DEBOUNCE_MS = 400;

/**
 * The pcap filter input. Checked twice: locally on every keystroke (syntax, with the column), then — once that
 * passes and typing pauses — by the selected host's own libpcap (`filter.check`), which also knows what the
 * syntax alone cannot (e.g. `ether host` on the raw-IP view, unknown protocol names).
 */
export function FilterBox(props: {
  filter: string;
  onChange: (filter: string) => void;
  host: string;
  inputRef: RefObject<HTMLInputElement | null>;
  /** The host's verdict, for the Start button (undefined: compiles, or not checked yet). */
  onHostError?: (error: string | undefined) => void;
}) {
  const { client } = useApp();
  const { filter, host } = props;
  const local = checkPcapFilter(filter);
  const [hostVerdict, setHostVerdict] = useState<{ key: string; error?: string }>();
  const key = `${host}\n${filter}`;

  useEffect(() => {
    if (local || !host) return;
    let live = true;
    const timer = setTimeout(() => {
      client.call('filter.check', { host, filter }).then(
        (r) => live && setHostVerdict({ key, ...(r.ok ? {} : { error: r.error ?? 'does not compile' }) }),
        () => live && setHostVerdict(undefined), // host unreachable: the local check is all we can say
      );
    }, HOST_CHECK_DEBOUNCE_MS);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [client, host, filter, key, local]);

  // a verdict is shown only for the exact host and text it was given for
  const hostError = !local && hostVerdict?.key === key ? hostVerdict.error : undefined;
  const { onHostError } = props;
  useEffect(() => onHostError?.(hostError), [onHostError, hostError]);
  const message = local
    ? `column ${local.column}: ${local.message}`
    : hostError
      ? `${host}: ${hostError}`
      : '';
  return (
    <>
      <label className="row">
        <span style={{ width: 60 }} className="muted">
          filter
        </span>
        <input
          ref={props.inputRef}
          aria-label="pcap filter"
          data-testid="filter"
          className={`grow mono${message ? ' invalid' : ''}`}
          value={filter}
          spellCheck={false}
          onChange={(e) => props.onChange(e.target.value)}
          placeholder="tcpdump syntax, e.g. icmp and host 10.0.0.2   (Alt+F)"
        />
      </label>
      <div className="field-error" data-testid="filter-error" style={{ marginLeft: 68 }}>
        {message}
      </div>
    </>
  );
}
