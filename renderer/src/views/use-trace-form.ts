import { useState } from 'react';
import { DEFAULT_SNAPLEN, type AttachMode, type TraceSpecInput } from '../../../main/api/trace';
import { NO_SCOPE, parseScope, type ScopeText } from '../model/trace-scope-form';
import { parseLimits, type LimitErrors } from './trace-limits';

/** The Trace view's form: what the user typed, and what it parses to. */
export interface TraceForm {
  filter: string;
  setFilter: (s: string) => void;
  /** A profile's name, or `custom` (the editor's text). */
  probeSel: string;
  setProbeSel: (s: string) => void;
  probeText: string;
  setProbeText: (s: string) => void;
  mode: AttachMode;
  setMode: (m: AttachMode) => void;
  maxPackets: string;
  setMaxPackets: (s: string) => void;
  duration: string;
  setDuration: (s: string) => void;
  /** Copy each packet's first bytes (for the pcapng export); a trace on several hosts always does. */
  captureBytes: boolean;
  setCaptureBytes: (b: boolean) => void;
  scopeText: ScopeText;
  setScopeText: (s: ScopeText) => void;
  limits: ReturnType<typeof parseLimits>;
  limitErrors: LimitErrors;
  scope: ReturnType<typeof parseScope>;
}

export function useTraceForm(): TraceForm {
  const [filter, setFilter] = useState('icmp');
  const [probeSel, setProbeSel] = useState('default');
  const [probeText, setProbeText] = useState('');
  const [mode, setMode] = useState<AttachMode>('auto');
  const [maxPackets, setMaxPackets] = useState('100');
  const [duration, setDuration] = useState('30');
  const [captureBytes, setCaptureBytes] = useState(false);
  const [scopeText, setScopeText] = useState<ScopeText>(NO_SCOPE);
  const limits = parseLimits(maxPackets, duration);
  return {
    filter,
    setFilter,
    probeSel,
    setProbeSel,
    probeText,
    setProbeText,
    mode,
    setMode,
    maxPackets,
    setMaxPackets,
    duration,
    setDuration,
    captureBytes,
    setCaptureBytes,
    scopeText,
    setScopeText,
    limits,
    limitErrors: 'errors' in limits ? limits.errors : {},
    scope: parseScope(scopeText),
  };
}

/** The one-host spec the form says, or undefined while a limit or scope field is wrong. */
export function specOf(f: TraceForm, host: string): TraceSpecInput | undefined {
  if (!('limits' in f.limits) || 'errors' in f.scope) return undefined;
  return {
    host,
    filter: f.filter,
    mode: f.mode,
    limits: f.limits.limits,
    meta: f.scope.meta,
    tc: f.scope.tc,
    ...(f.captureBytes ? { capture: { snaplen: DEFAULT_SNAPLEN } } : {}),
    probes:
      f.probeSel === 'custom'
        ? { kind: 'text', text: f.probeText }
        : { kind: 'profile', name: f.probeSel as 'default' },
  };
}
