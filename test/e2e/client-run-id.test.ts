import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect } from 'vitest';
import { labContext } from '../support/lab-context.js';
import { BrowserClient, startServe } from '../support/serve-process.js';

// issue 12: `trace.start` takes the client's own run id, so a face owns the run's events from the first one (the
// `connecting` progress is published before the answer) instead of buffering what races the response.
const { labIt } = labContext();
const it = labIt({ needs: { root: true, tools: ['bpftool'] } });
const scratch = mkdtempSync(join(tmpdir(), 'pktpath-run-id-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('trace.start with a run id the client chose (pktpath serve)', () => {
  it('uses it for the run and every event, refuses it twice, and refuses ids that are not boring', async () => {
    const serve = await startServe({
      tty: false,
      env: { ...process.env, HOME: scratch, PKTPATH_HOME: join(scratch, 'data'), SSH_AUTH_SOCK: '' },
    });
    const c = await BrowserClient.open(serve.port, serve.token);
    try {
      const runId = `run-${Date.now().toString(36)}-chosen`;
      const spec = {
        host: 'local',
        filter: 'icmp and host 10.254.77.1',
        mode: 'tracepoint',
        limits: { durationS: 3 },
      };
      const started = await c.call('trace.start', { ...spec, runId });
      expect(started, JSON.stringify(started)).toMatchObject({ ok: true, response: { runId } });
      const first = await c.nextEvent('trace.progress', (p) => p.runId === runId);
      expect(first.phase).toBe('connecting');
      expect(await c.call('trace.start', { ...spec, runId })).toMatchObject({
        ok: false,
        error: { code: 'conflict' },
      });
      for (const bad of ['../../etc/passwd', 'RUN-UPPER-1234', 'short', `run-${'x'.repeat(90)}`])
        expect(await c.call('trace.start', { ...spec, runId: bad })).toMatchObject({
          ok: false,
          error: { code: 'invalid-request' },
        });
      const end = await c.nextEvent('trace.end', (e) => e.runId === runId, 60_000);
      expect(end.error).toBeUndefined();
      const status = await c.call('trace.status', { runId });
      expect(status).toMatchObject({ ok: true, response: { runId, phase: 'done' } });
    } finally {
      c.close();
      process.kill(serve.pid, 'SIGTERM');
      await serve.exited;
    }
  });
});
