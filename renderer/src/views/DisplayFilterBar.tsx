import { useState, type RefObject } from 'react';
import { describeFilterError, parseDisplayFilter } from '../../../main/api/display-filter/index';

/**
 * The packet list's display filter, checked on every keystroke by the language's own parser (the one the core runs):
 * green when it parses, red with the error's position in words when not. Only a filter that parses reaches the list.
 */
export function DisplayFilterBar(props: {
  onApply: (filter: string) => void;
  inputRef: RefObject<HTMLInputElement | null>;
}) {
  const [text, setText] = useState('');
  const parsed = parseDisplayFilter(text);
  const state = !text.trim() ? '' : parsed.ok ? 'valid' : 'invalid';
  const message = parsed.ok ? '' : describeFilterError(text, parsed.error);
  return (
    <div className="dfilter">
      <input
        ref={props.inputRef}
        aria-label="display filter"
        data-testid="display-filter"
        data-shortcut-search
        className={`grow mono ${state}`}
        aria-invalid={state === 'invalid'}
        aria-describedby="dfilter-error"
        value={text}
        spellCheck={false}
        placeholder="display filter: ip.addr == 10.0.0.1 && tcp.port == 443, drop, func contains nf_, dur > 1ms   (/)"
        onChange={(e) => {
          const t = e.target.value;
          setText(t);
          const r = parseDisplayFilter(t);
          if (r.ok) props.onApply(t);
        }}
        onKeyDown={(e) => {
          if (e.key === 'Escape' && text) {
            e.stopPropagation();
            setText('');
            props.onApply('');
          }
        }}
        title="Wireshark-like: ip.addr ip.src ip.dst port tcp.port udp.port tcp udp icmp func func.first func.last drop drop.reason verdict iface netns dur time hops id cut partial; == != < > contains matches in {…}; && || !"
      />
      {message && (
        <div
          className="field-error dfilter-error"
          id="dfilter-error"
          data-testid="display-filter-error"
          role="status"
        >
          {message}
        </div>
      )}
    </div>
  );
}
