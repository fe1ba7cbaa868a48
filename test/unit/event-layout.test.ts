import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect } from 'vitest';
import {
  CAPTURE,
  CAPTURE_FLAGS,
  EVENT,
  TASK,
  EVENT_FLAGS,
  type FieldLayout,
} from '../../main/core/trace/event-layout.js';
import { gatedIt, missing } from '../support/requirements.js';

// The TypeScript description of the loader's records against the BTF of the objects pktpath ships: a changed C
// struct (a field moved, resized, added or removed) fails here, not as garbage in a trace.
const root = join(import.meta.dirname, '../..');
const it = gatedIt(missing({ tools: ['bpftool'] }));

interface BtfType {
  id: number;
  kind: string;
  name: string;
  size?: number;
  type_id?: number;
  nr_elems?: number;
  members?: { name: string; type_id: number; bits_offset: number }[];
}

function btfTypes(object: string): Map<number, BtfType> {
  const out = execFileSync('bpftool', ['-j', 'btf', 'dump', 'file', join(root, object), 'format', 'raw'], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  const { types } = JSON.parse(out) as { types: BtfType[] };
  return new Map(types.map((t) => [t.id, t]));
}

/** A BTF type's size in bytes (through typedefs, qualifiers and arrays). */
function sizeOf(types: Map<number, BtfType>, id: number): number {
  const t = types.get(id);
  if (!t) throw new Error(`BTF type ${id} missing`);
  if (t.kind === 'ARRAY') return (t.nr_elems ?? 0) * sizeOf(types, t.type_id ?? 0);
  if (t.size !== undefined) return t.size;
  return sizeOf(types, t.type_id ?? 0);
}

function structLayout(types: Map<number, BtfType>, name: string) {
  const s = [...types.values()].find((t) => t.kind === 'STRUCT' && t.name === name);
  if (!s) throw new Error(`struct ${name} is not in the object's BTF`);
  const fields: Record<string, FieldLayout> = {};
  for (const m of s.members ?? [])
    fields[m.name] = { offset: m.bits_offset / 8, size: sizeOf(types, m.type_id) };
  return { size: s.size, fields };
}

/** `#define NAME (1 << n)` values of bpf/pktpath.h with a prefix, by lower-cased suffix. */
function headerFlags(prefix: string): Record<string, number> {
  const text = readFileSync(join(root, 'bpf/pktpath.h'), 'utf8');
  const out: Record<string, number> = {};
  for (const m of text.matchAll(
    new RegExp(`#define ${prefix}(\\w+)\\s+\\(?(\\d+)(?:\\s*<<\\s*(\\d+))?\\)?`, 'g'),
  ))
    out[(m[1] as string).toLowerCase()] = Number(m[2]) << Number(m[3] ?? 0);
  return out;
}

describe('the binary event layout, described once', () => {
  for (const arch of ['x86_64', 'aarch64']) {
    it(`matches struct pktpath_event, pktpath_capture and pktpath_task in resources/${arch}/pktpath.bpf.o`, () => {
      const types = btfTypes(`resources/${arch}/pktpath.bpf.o`);
      expect(structLayout(types, 'pktpath_event')).toEqual({ size: EVENT.size, fields: EVENT.fields });
      const cap = structLayout(types, 'pktpath_capture');
      expect(cap.fields).toEqual(CAPTURE.fields);
      expect(cap.fields.data?.offset).toBe(CAPTURE.header);
      expect(structLayout(types, 'pktpath_task')).toEqual({ size: TASK.size, fields: TASK.fields });
    });
  }

  it('has every EV_* and CAP_* flag of bpf/pktpath.h with its value', () => {
    expect(headerFlags('EV_')).toEqual(EVENT_FLAGS);
    expect(headerFlags('CAP_')).toEqual(CAPTURE_FLAGS);
  });
});
