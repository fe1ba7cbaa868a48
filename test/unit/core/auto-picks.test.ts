import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AUTO_FENTRY_MAX, autoPicks } from '../../../main/api/trace.js';

const works = (...kinds: string[]) =>
  Object.fromEntries(['kprobe-multi', 'fentry', 'kprobe'].map((k) => [k, { ok: kinds.includes(k) }]));

describe('what auto takes, in words', () => {
  it('is the loader’s own threshold', () => {
    const c = readFileSync(resolve(import.meta.dirname, '../../../bpf/loader/trace_load.c'), 'utf8');
    expect(/^#define AUTO_FENTRY_MAX (\d+)$/m.exec(c)?.[1]).toBe(String(AUTO_FENTRY_MAX));
  });

  it('names the backend for large sets where it differs from the small sets’ one', () => {
    // Debian 6.12 on x86-64: fentry for the default set, kprobe-multi for every skb function
    expect(autoPicks({ auto: 'fentry', attach: works('kprobe-multi', 'fentry', 'kprobe') })).toBe(
      'fentry (up to 128 functions; kprobe-multi above)',
    );
    // Debian 6.1 and arm64 6.12: no kprobe-multi
    expect(autoPicks({ auto: 'fentry', attach: works('fentry', 'kprobe') })).toBe(
      'fentry (up to 128 functions; kprobe above)',
    );
    // 5.10: kprobes only
    expect(autoPicks({ auto: 'kprobe', attach: works('kprobe') })).toBe('kprobe');
    expect(autoPicks({ auto: 'kprobe-multi', attach: works('kprobe-multi', 'kprobe') })).toBe('kprobe-multi');
    expect(autoPicks({ auto: 'none', attach: works() })).toBe('none: tracepoints and TC only');
  });
});
