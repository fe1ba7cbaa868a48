import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  artifactsForArch,
  checkLocalArtifact,
  normalizeArch,
  readManifest,
} from '../../../main/core/deploy/manifest.js';

const dir = mkdtempSync(join(tmpdir(), 'pktpath-manifest-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function writeManifest(doc: unknown): string {
  const f = join(dir, `manifest-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(f, JSON.stringify(doc));
  return f;
}

describe('resources/manifest.json reader', () => {
  mkdirSync(join(dir, 'x86_64'), { recursive: true });
  const body = 'loader bytes';
  writeFileSync(join(dir, 'x86_64', 'pktpath-loader'), body);
  const sha = createHash('sha256').update(body).digest('hex');

  it('resolves paths against the manifest, keeps extra fields out of the way, picks by arch', async () => {
    const f = writeManifest({
      generator: 'build:bpf',
      artifacts: {
        'x86_64/pktpath-loader': { arch: 'x86_64', sha256: sha, size: body.length, objects: ['a.o'] },
        'aarch64/pktpath-loader': { arch: 'arm64', sha256: 'a'.repeat(64), size: 3 },
      },
    });
    const all = readManifest(f);
    expect(all).toHaveLength(2);
    const [x86] = artifactsForArch(all, 'amd64');
    expect(x86).toEqual({
      localPath: join(dir, 'x86_64', 'pktpath-loader'),
      name: 'pktpath-loader',
      arch: 'x86_64',
      sha256: sha,
      size: body.length,
    });
    expect(artifactsForArch(all, 'aarch64')[0]!.arch).toBe('aarch64');
    expect(() => artifactsForArch(all, 'riscv64')).toThrow(
      'no pktpath loader for riscv64 (this build has: x86_64, aarch64)',
    );
    await checkLocalArtifact(x86!);
    await expect(checkLocalArtifact({ ...x86!, sha256: 'b'.repeat(64) })).rejects.toThrow(
      /manifest says b{64}/,
    );
  });

  it('rejects a manifest with a bad hash or no artifacts list, naming the field', () => {
    expect(() =>
      readManifest(writeManifest({ artifacts: { x: { arch: 'x86_64', sha256: 'XYZ', size: 1 } } })),
    ).toThrow(/artifacts\.x\.sha256: sha256 is 64 lowercase hex digits/);
    expect(() => readManifest(writeManifest({ files: [] }))).toThrow(/artifacts: /);
    expect(() => readManifest(join(dir, 'missing.json'))).toThrow(/cannot read/);
  });

  it('reads the real resources/manifest.json and finds a verified loader for each shipped arch', async () => {
    const all = readManifest(join(process.cwd(), 'resources', 'manifest.json'));
    for (const arch of ['x86_64', 'aarch64']) {
      const loader = artifactsForArch(all, arch).find((a) => a.name === 'pktpath-loader');
      expect(loader, arch).toBeDefined();
      await checkLocalArtifact(loader!);
    }
  });

  it('normalizes uname -m spellings', () => {
    expect(['x86_64', 'amd64', 'AMD64', 'aarch64', 'arm64', 'riscv64'].map(normalizeArch)).toEqual([
      'x86_64',
      'x86_64',
      'x86_64',
      'aarch64',
      'aarch64',
      'riscv64',
    ]);
  });
});
