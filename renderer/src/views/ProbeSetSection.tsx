import type { ProbeFacts } from '../../../main/api/trace';
import type { ProfileInfo, ProbeSetValidation } from '../../../main/api/probeset';
import type { ApiClient } from '../api/client';
import { ProbeEditor } from '../editor/ProbeEditor';
import type { TraceForm } from './use-trace-form';

/** The probe set the trace will attach: the profile's text (editing it makes it custom) or the custom text, in
 * Monaco with the host's functions for completion; a dynamic profile is described instead. */
export function ProbeSetSection(props: {
  form: TraceForm;
  profile: ProfileInfo | undefined;
  client: ApiClient;
  host: string;
  facts: ProbeFacts | undefined;
  theme: 'dark' | 'light';
  validation: ProbeSetValidation | undefined;
  onValidation: (v: ProbeSetValidation | undefined) => void;
}) {
  const { form: f, profile, validation, host } = props;
  const editorText = f.probeSel === 'custom' ? f.probeText : (profile?.text ?? '');
  // a dynamic profile (all-skb) has no text to edit, and the last text's check says nothing about it
  const dynamic = !!profile?.dynamic;
  const how =
    f.probeSel === 'custom' ? 'edit freely' : dynamic ? f.probeSel : `${f.probeSel}; edit to customise`;
  return (
    <div className="section">
      <h3>Probe set ({how})</h3>
      {dynamic ? (
        <div className="muted">
          {profile?.description}: every skb function the host reports ({props.facts?.functions.length ?? '?'}
          ).
        </div>
      ) : (
        <ProbeEditor
          client={props.client}
          value={editorText}
          onChange={(t) => {
            if (t === editorText) return;
            f.setProbeSel('custom');
            f.setProbeText(t);
          }}
          host={host}
          facts={props.facts}
          theme={props.theme}
          onValidation={props.onValidation}
        />
      )}
      {!dynamic && (
        <div className="field-hint" data-testid="probe-validation">
          {validation
            ? `${validation.entries.length} functions` +
              (validation.errors.length ? ` · ${validation.errors.length} error(s)` : '') +
              (validation.unknownOnHost?.length
                ? ` · ${validation.unknownOnHost.length} not traceable on ${host}`
                : '')
            : ''}
          {' · '}Ctrl+Space completes, hover shows the skb argument
        </div>
      )}
    </div>
  );
}
