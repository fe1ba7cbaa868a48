import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { SecretPrompt } from '../../../main/api/contract.js';
import { EventHub } from '../../../main/core/service/event-hub.js';
import { PromptBroker } from '../../../main/core/service/prompt-broker.js';
import { SafeStorageSecrets, type SafeStorageLike } from '../../../main/electron/safe-storage-secrets.js';

// `secret.provide { remember }`: the desktop app's keyring store keeps an answer only when asked and only when it
// really encrypts; every face learns from `secret.prompt` whether it can. Electron's safeStorage needs a desktop
// session, so AES-GCM with a per-test key stands in for the OS keyring behind the same interface.
const root = mkdtempSync(join(tmpdir(), 'pktpath-secrets-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function keyring(backend: string): SafeStorageLike {
  const key = randomBytes(32);
  return {
    isEncryptionAvailable: () => true,
    getSelectedStorageBackend: () => backend,
    encryptString(plain) {
      const iv = randomBytes(12);
      const c = createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
      return Buffer.concat([iv, c.getAuthTag(), body]);
    },
    decryptString(enc) {
      const d = createDecipheriv('aes-256-gcm', key, enc.subarray(0, 12));
      d.setAuthTag(enc.subarray(12, 28));
      return Buffer.concat([d.update(enc.subarray(28)), d.final()]).toString('utf8');
    },
  };
}

const ref = { host: 'web1', kind: 'password' as const, prompt: 'password for ops@web1' };

/** A data dir, as the core creates it before the app's store writes there. */
function home(name: string): string {
  const dir = join(root, name);
  mkdirSync(dir);
  return dir;
}

function broker(store?: SafeStorageSecrets) {
  const hub = new EventHub();
  const prompts: SecretPrompt[] = [];
  hub.subscribe((event, payload) => {
    if (event === 'secret.prompt') prompts.push(payload);
  });
  return { b: new PromptBroker(hub, store), prompts };
}

async function ask(b: PromptBroker, prompts: SecretPrompt[]) {
  const answer = b.askSecret(ref);
  await new Promise((r) => setImmediate(r));
  return { answer, prompt: prompts.at(-1) };
}

describe('remembering a secret through the contract', () => {
  it('keeps it when asked, and answers the next question from the keyring', async () => {
    const dir = home('kept');
    const { b, prompts } = broker(new SafeStorageSecrets(keyring('gnome_libsecret'), dir, 'linux'));
    const first = await ask(b, prompts);
    expect(first.prompt?.remember).toEqual({ available: true });
    expect(b.provideSecret(first.prompt!.promptId, 's3cret', true)).toEqual({ remembered: true });
    expect(await first.answer).toBe('s3cret');
    expect(existsSync(join(dir, 'secrets.json'))).toBe(true);
    expect(await b.askSecret(ref)).toBe('s3cret'); // no prompt this time
    expect(prompts).toHaveLength(1);
  });

  it('does not keep it unless asked to', async () => {
    const dir = home('not-asked');
    const { b, prompts } = broker(new SafeStorageSecrets(keyring('kwallet5'), dir, 'linux'));
    const first = await ask(b, prompts);
    expect(b.provideSecret(first.prompt!.promptId, 'once', false)).toEqual({ remembered: false });
    expect(await first.answer).toBe('once');
    expect(existsSync(join(dir, 'secrets.json'))).toBe(false);
  });

  it('says why not without a real keyring (basic_text) and stores nothing', async () => {
    const dir = home('basic');
    const { b, prompts } = broker(new SafeStorageSecrets(keyring('basic_text'), dir, 'linux'));
    const first = await ask(b, prompts);
    expect(first.prompt?.remember).toMatchObject({
      available: false,
      reason: expect.stringMatching(/no system keyring/),
    });
    expect(b.provideSecret(first.prompt!.promptId, 'pw', true)).toMatchObject({
      remembered: false,
      reason: expect.stringMatching(/no system keyring/),
    });
    expect(await first.answer).toBe('pw');
    expect(existsSync(join(dir, 'secrets.json'))).toBe(false);
  });

  it('a face without a secret store (CLI, browser mode) never keeps one', async () => {
    const { b, prompts } = broker();
    const first = await ask(b, prompts);
    expect(first.prompt?.remember).toMatchObject({
      available: false,
      reason: expect.stringMatching(/ssh-agent/),
    });
    expect(b.provideSecret(first.prompt!.promptId, 'pw', true)).toMatchObject({ remembered: false });
    expect(await first.answer).toBe('pw');
  });
});
