import type { ScopeErrors, ScopeText } from '../model/trace-scope-form';

const FIELDS: { key: keyof ScopeText; label: string; help: string }[] = [
  { key: 'netns', label: 'netns', help: 'ip netns name or inode: only packets there' },
  { key: 'iface', label: 'interface', help: 'name or index: only packets on it' },
  { key: 'mark', label: 'mark', help: 'VALUE[/MASK], decimal or 0x…' },
];

/**
 * Where to look besides the filter: the meta filters the kernel checks first (netns, interface, mark) and TC
 * observers (IFACE[@NETNS][:ingress|egress|both], the CLI's --tc), each checked as you type. The three meta fields
 * share one row that wraps, so the form never gets wider than its pane.
 */
export function TraceScope({
  value,
  errors,
  onChange,
}: {
  value: ScopeText;
  errors: ScopeErrors;
  onChange: (v: ScopeText) => void;
}) {
  const field = (key: keyof ScopeText) => ({
    value: value[key],
    onChange: (e: React.ChangeEvent<HTMLInputElement>) => onChange({ ...value, [key]: e.target.value }),
    className: errors[key] ? 'invalid' : '',
    'aria-invalid': !!errors[key],
  });
  const shown = Object.values(errors).filter(Boolean);
  return (
    <>
      <div className="row trace-scope">
        <span className="muted trace-scope-label">scope</span>
        {FIELDS.map((f) => (
          <label key={f.key} className="row" title={f.help}>
            <span className="dim">{f.label}</span>
            <input aria-label={`scope ${f.label}`} placeholder="any" {...field(f.key)} />
          </label>
        ))}
      </div>
      <label
        className="row trace-scope"
        title="observe-only TC programs: IFACE[@NETNS][:ingress|egress|both], comma-separated"
      >
        <span className="muted trace-scope-label">TC</span>
        <input aria-label="TC observers" placeholder="e.g. veth0@web:ingress, eth0" {...field('tc')} />
      </label>
      {shown.length > 0 && (
        <div className="field-error" data-testid="scope-error" style={{ marginLeft: 68 }}>
          {shown.join(' · ')}
        </div>
      )}
    </>
  );
}
