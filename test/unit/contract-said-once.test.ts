import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';

// Every fact of the contract is said once (main/api) and derived elsewhere: a face or core module that spells out
// an enum's members again — as a union type or an array literal — drifts the day the enum changes.
const root = resolve(import.meta.dirname, '../..');
const apiDir = join(root, 'main/api');

async function contractEnums(): Promise<{ name: string; options: string[] }[]> {
  const found: { name: string; options: string[] }[] = [];
  for (const f of readdirSync(apiDir).filter((n) => n.endsWith('.ts'))) {
    const mod = (await import(join(apiDir, f))) as Record<string, unknown>;
    for (const [name, v] of Object.entries(mod))
      if (v instanceof z.ZodEnum && v.options.length >= 3)
        found.push({ name: `${f}:${name}`, options: v.options.map(String) });
  }
  return found;
}

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = join(dir, d.name);
    if (d.isDirectory()) return sources(p);
    return /\.(ts|tsx|cts|mts)$/.test(d.name) ? [p] : [];
  });
}

/** `'a' | 'b' | 'c'` or `['a', 'b', 'c']` with exactly the enum's members, in any order. */
function restatements(text: string, options: readonly string[]): string[] {
  const want = [...options].sort().join('\n');
  const lists = [
    ...text.matchAll(/(?:'[^'\n]+'\s*\|\s*)+'[^'\n]+'/g),
    ...text.matchAll(/\[\s*(?:'[^'\n]+'\s*,\s*)+'[^'\n]+'\s*,?\s*\]/g),
  ].map((m) => m[0]);
  return lists.filter((l) => {
    const members = [...l.matchAll(/'([^'\n]+)'/g)].map((m) => m[1] as string);
    return members.length === options.length && [...members].sort().join('\n') === want;
  });
}

describe('the contract said once', () => {
  it('no enum of main/api is spelled out again in the core, the faces or the renderer', async () => {
    const enums = await contractEnums();
    expect(enums.length).toBeGreaterThan(5);
    const files = [
      ...sources(join(root, 'main')).filter((p) => !p.startsWith(apiDir)),
      ...sources(join(root, 'renderer/src')),
    ];
    const found: string[] = [];
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      for (const e of enums)
        for (const r of restatements(text, e.options))
          found.push(`${relative(root, file)} restates ${e.name}: ${r}`);
    }
    expect(found).toEqual([]);
  });
});
