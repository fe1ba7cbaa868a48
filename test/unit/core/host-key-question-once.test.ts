import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import type { HostKeyPrompt } from '../../../main/api/contract.js';
import { EventHub } from '../../../main/core/service/event-hub.js';
import { PromptBroker } from '../../../main/core/service/prompt-broker.js';
import { HostKeyStore } from '../../../main/core/ssh/host-key-store.js';

// Two connections racing to one new host (the app's connection test and its host-side filter check) met the same
// unknown key and asked twice: the user accepted, and a second, identical dialog stayed open over the page.
const root = mkdtempSync(join(tmpdir(), 'pktpath-hostkey-once-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const question: Omit<HostKeyPrompt, 'promptId'> = {
  host: 'web1',
  hostPattern: '[127.0.0.1]:2222',
  keyType: 'ssh-ed25519',
  fingerprint: 'SHA256:abc',
};

function listen(events: EventHub) {
  const prompts: HostKeyPrompt[] = [];
  events.subscribe((event, payload) => {
    if (event === 'hostKey.prompt') prompts.push(payload);
  });
  return prompts;
}

describe('one host-key question per key', () => {
  it('racing connections share the open question and its answer', async () => {
    const events = new EventHub();
    const prompts = listen(events);
    const broker = new PromptBroker(events);
    const first = broker.askHostKey(question);
    const second = broker.askHostKey(question);
    expect(prompts).toHaveLength(1);
    broker.decideHostKey(prompts[0]!.promptId, 'accept-and-save');
    expect(await Promise.all([first, second])).toEqual(['accept-and-save', 'accept-and-save']);
    // answered: a later connection that still meets the key (not saved) is asked afresh
    const third = broker.askHostKey(question);
    expect(prompts).toHaveLength(2);
    broker.decideHostKey(prompts[1]!.promptId, 'reject');
    expect(await third).toBe('reject');
  });

  it('a different key or host is its own question', () => {
    const events = new EventHub();
    const prompts = listen(events);
    const broker = new PromptBroker(events);
    void broker.askHostKey(question);
    void broker.askHostKey({ ...question, fingerprint: 'SHA256:other' });
    void broker.askHostKey({ ...question, hostPattern: '[127.0.0.1]:2223' });
    expect(prompts).toHaveLength(3);
  });

  it('both savers of one shared answer write the key once', () => {
    const ownFile = join(root, 'known_hosts');
    const store = new HostKeyStore({ ownFile, userFiles: [] });
    const pub = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'der' });
    // an OpenSSH ed25519 blob: string "ssh-ed25519" + string key (the last 32 bytes of the SPKI)
    const str = (b: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, b.length]), b]);
    const blob = Buffer.concat([str(Buffer.from('ssh-ed25519')), str(pub.subarray(-32))]);
    store.save('[127.0.0.1]:2222', blob);
    store.save('[127.0.0.1]:2222', blob);
    expect(readFileSync(ownFile, 'utf8').trim().split('\n')).toHaveLength(1);
    expect(store.verify('[127.0.0.1]:2222', blob).status).toBe('known');
  });
});
