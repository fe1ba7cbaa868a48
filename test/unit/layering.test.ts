import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// The core's folders form layers: a folder may use the ones below it, never one that uses it back. A cycle
// (core/filter ↔ core/service, core/ssh ↔ core/inventory were two) means neither can change or be tested alone.
const root = resolve(import.meta.dirname, '../..');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = join(dir, d.name);
    if (d.isDirectory()) return sources(p);
    return /\.(ts|tsx|cts)$/.test(d.name) ? [p] : [];
  });
}

/** folder → the folders (same depth under `base`) its files import from. */
function folderGraph(base: string): Map<string, Set<string>> {
  const abs = join(root, base);
  const graph = new Map<string, Set<string>>();
  const folderOf = (file: string) => relative(abs, file).split('/')[0] as string;
  for (const file of sources(abs)) {
    const from = folderOf(file);
    if (!from.includes('.')) graph.set(from, graph.get(from) ?? new Set());
    for (const m of readFileSync(file, 'utf8').matchAll(/from '(\.[^']+)'/g)) {
      const target = resolve(dirname(file), m[1] as string);
      if (!target.startsWith(abs + '/')) continue;
      const to = folderOf(target);
      if (to !== from && !from.includes('.') && !to.includes('.')) graph.get(from)?.add(to);
    }
  }
  return graph;
}

function cycles(graph: Map<string, Set<string>>): string[] {
  const found: string[] = [];
  const visit = (node: string, path: string[]): void => {
    for (const next of graph.get(node) ?? []) {
      const at = path.indexOf(next);
      if (at >= 0) found.push([...path.slice(at), next].join(' → '));
      else visit(next, [...path, next]);
    }
  };
  for (const start of graph.keys()) visit(start, [start]);
  return [...new Set(found.map((c) => c))].sort();
}

describe('layering', () => {
  it('main/core folders import each other without cycles', () => {
    const graph = folderGraph('main/core');
    expect(graph.size).toBeGreaterThan(8);
    expect(cycles(graph)).toEqual([]);
  });

  it('main/ folders import each other without cycles (api below core below the faces)', () => {
    expect(cycles(folderGraph('main'))).toEqual([]);
  });

  it('the renderer uses only the contract and the transport of main/, never the core or a face', () => {
    const used = new Set<string>();
    for (const file of sources(join(root, 'renderer/src')))
      for (const m of readFileSync(file, 'utf8').matchAll(/from '(\.[^']+)'/g)) {
        const target = relative(root, resolve(dirname(file), m[1] as string));
        if (target.startsWith('main/')) used.add(target.split('/')[1] as string);
      }
    expect([...used].sort()).toEqual(['api', 'transport']);
  });
});
