import { inject } from 'vitest';
import type { LabHostName, LabState } from '../lab/lab.js';
import { gatedIt, missing, type GatedIt, type Needs } from './requirements.js';

/** A test file's view of the lab its project's global setup brought up (or why it could not). */
export interface LabContext {
  state: LabState | undefined;
  /** The lab state; only call inside tests gated by `labIt`. */
  lab: () => LabState;
  /** `it` gated on the lab, the named hosts being up, and any further needs (root, tools). */
  labIt: (opts?: { hosts?: readonly LabHostName[]; needs?: Needs }) => GatedIt;
}

export function labContext(): LabContext {
  const provided = inject('lab');
  const state = 'state' in provided ? provided.state : undefined;
  const labGap = 'unavailable' in provided ? provided.unavailable : undefined;
  return {
    state,
    lab: () => {
      if (!state) throw new Error(`the lab is not up: ${labGap ?? 'unknown reason'}`);
      return state;
    },
    labIt: ({ hosts = [], needs } = {}) => {
      const down = hosts.filter((h) => !state?.hosts[h]);
      return gatedIt(
        labGap ??
          (down.length ? `lab host ${down.join(', ')} not up (PKTPATH_LAB_VMS=0)` : undefined) ??
          (needs ? missing(needs) : undefined),
      );
    },
  };
}
