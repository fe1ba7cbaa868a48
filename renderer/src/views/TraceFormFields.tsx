import { AttachModeSchema, DEFAULT_SNAPLEN, type AttachMode } from '../../../main/api/trace';
import type { ProfileInfo } from '../../../main/api/probeset';
import { TraceScope } from './TraceScope';
import type { TraceForm } from './use-trace-form';

/** The Trace form below host and filter: probe profile, attach mode and limits, packet bytes, scope. */
export function TraceFormFields(props: { form: TraceForm; profiles: ProfileInfo[]; hosts: number }) {
  const f = props.form;
  const profile = props.profiles.find((p) => p.name === f.probeSel);
  const { limitErrors } = f;
  const many = props.hosts > 1;
  return (
    <>
      <label className="row">
        <span style={{ width: 60 }} className="muted">
          probes
        </span>
        <select
          className="grow"
          aria-label="probe profile"
          value={f.probeSel}
          onChange={(e) => {
            // leaving a profile for custom starts from that profile's text
            if (e.target.value === 'custom' && f.probeSel !== 'custom')
              f.setProbeText(profile?.text.trim() ? profile.text : f.probeText);
            f.setProbeSel(e.target.value);
          }}
        >
          {props.profiles.map((p) => (
            <option key={p.name} value={p.name}>
              {p.name} — {p.description}
            </option>
          ))}
          <option value="custom">custom probe set…</option>
        </select>
      </label>
      <label className="row">
        <span style={{ width: 60 }} className="muted">
          attach
        </span>
        <select
          value={f.mode}
          onChange={(e) => f.setMode(e.target.value as AttachMode)}
          aria-label="attach mode"
        >
          {AttachModeSchema.options.map((m) => (
            <option key={m}>{m}</option>
          ))}
        </select>
        <span className="muted">limits</span>
        <input
          aria-label="packet limit"
          value={f.maxPackets}
          onChange={(e) => f.setMaxPackets(e.target.value)}
          className={limitErrors.packets ? 'invalid' : ''}
          aria-invalid={!!limitErrors.packets}
          inputMode="numeric"
          style={{ width: 60 }}
        />
        <span className="dim">pkts</span>
        <input
          aria-label="duration limit"
          value={f.duration}
          onChange={(e) => f.setDuration(e.target.value)}
          className={limitErrors.durationS ? 'invalid' : ''}
          aria-invalid={!!limitErrors.durationS}
          inputMode="decimal"
          style={{ width: 50 }}
        />
        <span className="dim">s</span>
      </label>
      {(limitErrors.packets || limitErrors.durationS) && (
        <div className="field-error" data-testid="limit-error" style={{ marginLeft: 68 }}>
          {[limitErrors.packets, limitErrors.durationS].filter(Boolean).join(' · ')}
        </div>
      )}
      <label className="row" title="Packet bytes kept with the run, for Sessions → pcapng">
        <span style={{ width: 60 }} className="muted">
          bytes
        </span>
        <input
          type="checkbox"
          checked={f.captureBytes || many}
          disabled={many}
          onChange={(e) => f.setCaptureBytes(e.target.checked)}
          aria-label="keep the bytes of each packet"
        />
        <span className="dim">
          {many
            ? `first ${DEFAULT_SNAPLEN} of each packet: flows across hosts are matched on them`
            : `keep the first ${DEFAULT_SNAPLEN} B of each packet (pcapng)`}
        </span>
      </label>
      <TraceScope
        value={f.scopeText}
        errors={'errors' in f.scope ? f.scope.errors : {}}
        onChange={f.setScopeText}
      />
    </>
  );
}
