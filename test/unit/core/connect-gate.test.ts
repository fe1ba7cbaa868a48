import { describe, expect, it } from 'vitest';
import { ConnectGate } from '../../../main/core/trace/connect-gate.js';

describe('ConnectGate', () => {
  it('lets at most N connects run at once, the rest in turn, and frees a slot when one fails', async () => {
    const gate = new ConnectGate(3);
    let active = 0;
    let peak = 0;
    const order: number[] = [];
    const job = (i: number) =>
      gate.run(async () => {
        peak = Math.max(peak, ++active);
        await new Promise((r) => setTimeout(r, 5));
        active--;
        order.push(i);
        if (i === 1) throw new Error('unreachable');
        return i;
      });
    const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => job(i)));
    expect(peak).toBe(3);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(9);
    expect(order).toHaveLength(10);
  });
});
