import { describe, expect, it } from 'vitest';
import { formatNs, formatOffsetNs } from '../../../renderer/src/model/format.js';

// Durations and time offsets as the packet list and hop table print them: 3 significant digits, a unit that keeps
// the number under 1000 and never an exponent (`1.00e+3 ms` was seen); offsets precise enough to tell rows apart.
describe('formatNs', () => {
  it.each<[number, string]>([
    [0, '0 ns'],
    [999, '999 ns'],
    [999.6, '1.00 µs'],
    [1_234, '1.23 µs'],
    [12_345, '12.3 µs'],
    [123_456, '123 µs'],
    [999_499, '999 µs'],
    [999_999, '1.00 ms'],
    [1_000_000, '1.00 ms'],
    [107_400_000, '107 ms'],
    [999_999_999, '1.00 s'],
    [12_340_000_000, '12.3 s'],
    [999_600_000_000, '1000 s'],
    [3_600_000_000_000, '3600 s'],
    [-1_500, '−1.50 µs'],
  ])('%d ns → %s', (ns, text) => expect(formatNs(ns)).toBe(text));

  it('never prints an exponent', () => {
    for (let e = 0; e < 15; e++)
      for (const m of [0.9995, 0.99999, 1, 9.9999, 99.999, 999.99])
        expect(formatNs(m * 10 ** e)).not.toMatch(/e[+-]/);
  });
});

describe('formatOffsetNs', () => {
  it.each<[number, string]>([
    [0, '0 µs'],
    [12_345, '12 µs'],
    [107_123_456, '107.123 ms'],
    [107_456_000, '107.456 ms'],
    [12_345_678_901, '12.345679 s'],
  ])('%d ns → %s', (ns, text) => expect(formatOffsetNs(ns)).toBe(text));
});
