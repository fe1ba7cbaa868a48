import { useEffect, useRef } from 'react';
import type { ProbeSetValidation } from '../../../main/api/probeset';
import type { ProbeFacts } from '../../../main/api/trace';
import type { ApiClient } from '../api/client';
import { monaco } from './monaco';
import { bindModelFacts, PROBE_LANGUAGE, registerProbeLanguage, unbindModel } from './probe-language';

/**
 * The probe-set editor: Monaco with the probe-set language, validated by the core (`probeSet.validate`) as you
 * type — syntax errors as red markers, functions the selected host cannot trace as warnings.
 */
export function ProbeEditor(props: {
  client: ApiClient;
  value: string;
  onChange: (text: string) => void;
  host: string | undefined;
  facts: ProbeFacts | undefined;
  theme: 'dark' | 'light';
  onValidation?: (v: ProbeSetValidation | undefined) => void;
}) {
  const { client, host, facts, onValidation } = props;
  const el = useRef<HTMLDivElement>(null);
  const editor = useRef<monaco.editor.IStandaloneCodeEditor | undefined>(undefined);
  const onChange = useRef(props.onChange);
  onChange.current = props.onChange;
  // Texts this editor emitted since the parent last set one. When typing outruns React, the parent renders an
  // older echo of our own text; writing that back would reset the model and jump the cursor to the start.
  const echoes = useRef(new Set<string>());

  useEffect(() => {
    registerProbeLanguage();
    const model = monaco.editor.createModel(props.value, PROBE_LANGUAGE);
    if (!el.current) return;
    const ed = monaco.editor.create(el.current, {
      model,
      minimap: { enabled: false },
      fontSize: 12,
      lineNumbersMinChars: 3,
      scrollBeyondLastLine: false,
      automaticLayout: true,
      renderLineHighlight: 'line',
      quickSuggestions: { other: true, comments: false, strings: false },
      fixedOverflowWidgets: true,
      ariaLabel: 'probe set (Tab leaves the editor)',
      // Tab moves focus on, as everywhere else in the page: the probe-set format never needs a tab character, and an
      // editor that swallowed Tab trapped keyboard users (and rewrote line 1, which turned the profile "custom").
      tabFocusMode: true,
    });
    editor.current = ed;
    const sub = model.onDidChangeContent(() => {
      const text = model.getValue();
      echoes.current.add(text);
      onChange.current(text);
    });
    return () => {
      sub.dispose();
      unbindModel(model);
      ed.dispose();
      model.dispose();
    };
    // The editor is created once; value changes from outside are applied below.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  useEffect(() => {
    const model = editor.current?.getModel();
    if (!model) return;
    if (model.getValue() === props.value) {
      echoes.current.clear(); // in sync: earlier echoes can no longer arrive
      return;
    }
    if (echoes.current.has(props.value)) return; // our own earlier text, not a change from outside
    echoes.current.clear();
    model.setValue(props.value); // a new profile or an opened probe set
  }, [props.value]);

  useEffect(() => {
    monaco.editor.setTheme(props.theme === 'dark' ? 'pktpath-dark' : 'pktpath-light');
  }, [props.theme]);

  useEffect(() => {
    const model = editor.current?.getModel();
    if (model) bindModelFacts(model, facts);
  }, [facts]);

  // Validate through the core, debounced; the latest answer wins.
  useEffect(() => {
    const model = editor.current?.getModel();
    if (!model) return;
    let cancelled = false;
    const text = props.value;
    const t = setTimeout(() => {
      client
        .call('probeSet.validate', { text, ...(host && facts ? { host } : {}) })
        .then((v) => {
          if (cancelled || model.isDisposed()) return;
          monaco.editor.setModelMarkers(model, 'pktpath', markersFor(model, v));
          onValidation?.(v);
        })
        .catch(() => onValidation?.(undefined));
    }, 150);
    return () => {
      cancelled = true;
      clearTimeout(t);
    };
  }, [client, host, facts, props.value, onValidation]);

  return <div ref={el} className="editor-host" data-testid="probe-editor" />;
}

function markersFor(model: monaco.editor.ITextModel, v: ProbeSetValidation): monaco.editor.IMarkerData[] {
  const markers: monaco.editor.IMarkerData[] = v.errors.map((e) => {
    const word = model.getWordAtPosition({ lineNumber: e.line, column: e.column });
    return {
      severity: monaco.MarkerSeverity.Error,
      message: e.message,
      startLineNumber: e.line,
      startColumn: e.column,
      endLineNumber: e.line,
      endColumn: word ? word.endColumn : model.getLineMaxColumn(e.line),
    };
  });
  const unknown = new Set(v.unknownOnHost ?? []);
  for (const entry of v.entries) {
    if (!unknown.has(entry.function) || !entry.line) continue;
    const text = model.getLineContent(entry.line);
    const start = text.indexOf(entry.function) + 1;
    markers.push({
      severity: monaco.MarkerSeverity.Warning,
      message: `${entry.function} cannot be traced on this host (not a traceable skb function in its BTF); it will be skipped`,
      startLineNumber: entry.line,
      startColumn: start,
      endLineNumber: entry.line,
      endColumn: start + entry.function.length,
    });
  }
  return markers;
}
