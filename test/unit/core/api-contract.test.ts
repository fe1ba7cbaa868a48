import { describe, expect, it } from 'vitest';
import { events, methods } from '../../../main/api/contract.js';
import { ContractError, parseEvent, parseRequest, parseResponse } from '../../../main/api/validate.js';
import { toApiError } from '../../../main/api/handler.js';
import { CoreError } from '../../../main/core/errors.js';
import { SessionFormatError } from '../../../main/core/sessions/migrate-session.js';
import { RunFileError } from '../../../main/core/sessions/run-file.js';
import { RunIndexError } from '../../../main/core/sessions/run-index.js';
import { BundleError, decodeBundle } from '../../../main/core/sessions/session-bundle.js';
import { localHost } from '../../../main/core/inventory/host-store.js';

describe('API contract', () => {
  it('validates requests and applies defaults', () => {
    const req = parseRequest('trace.start', { host: 'web1', filter: 'icmp' });
    expect(req).toEqual({
      host: 'web1',
      filter: 'icmp',
      meta: {},
      probes: { kind: 'profile', name: 'default' },
      mode: 'auto',
      limits: {},
      tc: [],
    });
    expect(parseRequest('hosts.add', { name: 'db', address: '10.0.0.1' })).toMatchObject({
      port: 22,
      auth: { kind: 'agent' },
      privilege: 'sudo',
      jump: [],
    });
  });

  it('turns every bad field into one clear line', () => {
    const bad = () =>
      parseRequest('trace.start', { host: 'bad host', mode: 'magic', limits: { packets: -1 } });
    expect(bad).toThrow(ContractError);
    const msg = (() => {
      try {
        bad();
      } catch (e) {
        return (e as Error).message;
      }
    })()!;
    expect(msg.split('\n')).toHaveLength(1);
    expect(msg).toMatch(
      /^invalid trace\.start request: host: a host name is .*; mode: .*"auto".*; limits\.packets: /,
    );
    expect(() => parseRequest('nope.method', {})).toThrow('unknown method "nope.method"');
    expect(() => parseRequest('hosts.list', { extra: 1 })).toThrow(
      /invalid hosts\.list request: Unrecognized key/,
    );
  });

  it('validates responses and events', () => {
    expect(parseResponse('hosts.list', { hosts: [localHost()] }).hosts[0]?.name).toBe('local');
    expect(() => parseResponse('compare.paths', { identical: true })).toThrow(
      /invalid compare\.paths response: first_divergence/,
    );
    expect(
      parseEvent('trace.progress', { runId: 'r1', phase: 'attaching', attached: 3, total: 10 }),
    ).toMatchObject({ attached: 3 });
    expect(() => parseEvent('trace.progress', { runId: 'r1', phase: 'sleeping' })).toThrow(/phase/);
    expect(() => parseEvent('hostKey.prompt', { promptId: 'p' })).toThrow(
      /invalid hostKey\.prompt event: host: /,
    );
  });

  it('has a request and response schema for every method, and names events by domain', () => {
    for (const [name, m] of Object.entries(methods)) {
      expect(name).toMatch(/^[a-z][A-Za-z]*\.[a-z][A-Za-z]*$/);
      expect(m.request).toBeDefined();
      expect(m.response).toBeDefined();
      expect(m.summary.length).toBeGreaterThan(5);
    }
    expect(Object.keys(events)).toEqual([
      'trace.progress',
      'trace.packets',
      'trace.end',
      'hostKey.prompt',
      'secret.prompt',
    ]);
  });

  it('maps core errors to the contract error shape', () => {
    expect(toApiError(new CoreError('unreachable', 'down'))).toEqual({
      code: 'unreachable',
      message: 'down',
    });
    expect(toApiError(new ContractError('bad'))).toEqual({ code: 'invalid-request', message: 'bad' });
    expect(toApiError(new Error('boom'))).toEqual({ code: 'internal', message: 'boom' });
  });

  it('a file that does not read as what it claims is corrupt-file wherever it was found, never internal', () => {
    for (const E of [SessionFormatError, BundleError, RunIndexError, RunFileError])
      expect(toApiError(new E('bad bytes')), E.name).toEqual({ code: 'corrupt-file', message: 'bad bytes' });
    expect(() => decodeBundle(Buffer.from('not a bundle'))).toThrow(BundleError);
  });
});
