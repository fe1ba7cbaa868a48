import { useEffect, useState, type RefObject } from 'react';
import { useApp } from '../app/context';
import { checkPcapFilter } from '../model/pcap-filter-check';

/** How long typing must pause before the host compiles the filter (each check is a round trip to the host). */
const HOST_CHECK_DEBOUNCE_MS = 400;

/** What the host's libpcap said of one host and filter text (`unreachable`: it could not be asked). */
interface HostVerdict {
  key: string;
  error?: string;
  unreachable?: true;
}

/**
 * The pcap filter input. pktpath's own syntax check (model/pcap-filter-check.ts) runs on every keystroke and points
 * at the column; the selected host's libpcap (`filter.check`, asked once typing pauses) decides. A filter the
 * local check doubts but libpcap compiles (`inbound`, `host 10.1`, `ether host 0011.2233.4455`) starts; one libpcap
 * refuses does not, with the local column as a hint. Until the host answers, or when it cannot, the local check
 * stands.
 */
export function FilterBox(props: {
  filter: string;
  onChange: (filter: string) => void;
  host: string;
  inputRef: RefObject<HTMLInputElement | null>;
  /** Why the filter keeps Start off (undefined: it does not). */
  onBlocked?: (why: string | undefined) => void;
}) {
  const { client } = useApp();
  const { filter, host } = props;
  const local = checkPcapFilter(filter);
  const [hostVerdict, setHostVerdict] = useState<HostVerdict>();
  const key = `${host}\n${filter}`;

  useEffect(() => {
    if (!host) return;
    let live = true;
    const timer = setTimeout(() => {
      client.call('filter.check', { host, filter }).then(
        (r) => live && setHostVerdict({ key, ...(r.ok ? {} : { error: r.error ?? 'does not compile' }) }),
        () => live && setHostVerdict({ key, unreachable: true }),
      );
    }, HOST_CHECK_DEBOUNCE_MS);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [client, host, filter, key]);

  // a verdict counts only for the exact host and text it was given for
  const said = hostVerdict?.key === key && !hostVerdict.unreachable ? hostVerdict : undefined;
  const hint = local ? `column ${local.column}: ${local.message}` : '';
  const { message, blocked } = said
    ? said.error
      ? {
          message: `${host}: ${said.error}${hint ? ` (${hint})` : ''}`,
          blocked: `${host} rejects the filter`,
        }
      : { message: '', blocked: undefined }
    : { message: hint, blocked: local ? 'the filter has a syntax error' : undefined };
  const { onBlocked } = props;
  useEffect(() => onBlocked?.(blocked), [onBlocked, blocked]);
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
