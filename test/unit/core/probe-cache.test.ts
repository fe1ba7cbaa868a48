import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ProbeFactsSchema } from '../../../main/api/trace.js';
import { findResourcesDir, HostAccess } from '../../../main/core/hosts/host-access.js';
import { ProbeCache } from '../../../main/core/probe/probe-cache.js';
import { HostKeyStore } from '../../../main/core/ssh/host-key-store.js';

// A cached probe answers only for the loaders that found it: after an upgrade whose loader attaches what the old
// one could not (5.10 gained its compat object; the probe's test programs now call the helpers the tracer needs),
// the old facts ("fentry: ok" on a kernel whose tracer cannot use it) must not be served again.
const tmp = mkdtempSync(join(tmpdir(), 'pktpath-probe-cache-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const facts = ProbeFactsSchema.parse(
  JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures/probe-local-6.18.json'), 'utf8')),
);

/** A resources dir whose x86_64 loader has another sha256: what a pktpath upgrade ships. */
function otherLoaders(): string {
  const dir = join(tmp, 'resources-next');
  cpSync(join(findResourcesDir(), 'manifest.json'), join(dir, 'manifest.json'));
  const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as {
    artifacts: Record<string, { sha256: string }>;
  };
  m.artifacts['x86_64/pktpath-loader']!.sha256 = 'f'.repeat(64);
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(m));
  return dir;
}

const access = (resourcesDir: string) =>
  new HostAccess(
    { hostKeys: new HostKeyStore({ userFiles: [], ownFile: join(tmp, 'known_hosts') }) },
    resourcesDir,
    () => Promise.resolve(undefined),
  );

describe('probe cache', () => {
  it('is keyed by the shipped loaders as well as host and kernel release', () => {
    const home = join(tmp, 'home');
    const shipped = access(findResourcesDir());
    const next = access(otherLoaders());
    expect(shipped.loaderStamp()).toMatch(/^[0-9a-f]{16}$/);
    expect(next.loaderStamp()).not.toBe(shipped.loaderStamp());
    expect(access(findResourcesDir()).loaderStamp()).toBe(shipped.loaderStamp()); // stable for the same loaders

    new ProbeCache(home, () => shipped.loaderStamp()).put('lab', facts);
    const same = new ProbeCache(home, () => shipped.loaderStamp());
    expect(same.get('lab', facts.kernel.release)).toEqual(facts);
    expect(same.latest('lab')).toEqual(facts);
    const upgraded = new ProbeCache(home, () => next.loaderStamp());
    expect(upgraded.get('lab', facts.kernel.release)).toBeUndefined();
    expect(upgraded.latest('lab')).toBeUndefined();
  });
});
