import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { it } from 'vitest';

/**
 * Lab tests need real parts (root, sshd, qemu, Chromium...). Under CI=true a missing part is a failure, never a
 * skip; elsewhere the test is skipped and its name says why, in one line.
 */
export const inCI = process.env.CI === 'true';

export function onPath(tool: string): boolean {
  const dirs = tool.includes('/')
    ? ['']
    : [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/sbin'];
  return dirs.some((dir) => {
    try {
      accessSync(dir ? join(dir, tool) : tool, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

export interface Needs {
  root?: boolean;
  tools?: readonly string[];
}

/** What is missing for these needs, as a short reason, or undefined when everything is there. */
export function missing(needs: Needs): string | undefined {
  const gaps: string[] = [];
  if (needs.root && process.getuid?.() !== 0) gaps.push('root');
  for (const tool of needs.tools ?? []) if (!onPath(tool)) gaps.push(tool);
  return gaps.length ? `needs ${gaps.join(', ')}` : undefined;
}

type TestFn = () => unknown;
export type GatedIt = (name: string, fn: TestFn, timeout?: number) => void;

/**
 * `it` when `gap` is undefined. Otherwise, under CI, a test that fails with the gap as its error; elsewhere a
 * skipped test whose name carries the reason.
 */
export function gatedIt(gap: string | undefined): GatedIt {
  if (gap === undefined) return (name, fn, timeout) => it(name, fn, timeout);
  if (inCI)
    return (name) =>
      it(name, () => {
        throw new Error(`requirement missing under CI: ${gap}`);
      });
  return (name) => it.skip(`${name} — skipped: ${gap}`, () => undefined);
}
