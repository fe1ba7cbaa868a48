import { createHash } from 'node:crypto';
import { createReadStream, readFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { z } from 'zod';
import { formatIssues } from '../../api/validate.js';
import { CoreError } from '../errors.js';

/**
 * resources/manifest.json, written by the tracer's build (`npm run build:bpf`): artifacts keyed by their path
 * relative to the manifest, each with its arch, sha256 and size. Only the fields deploy needs are required;
 * anything else the build adds is kept and ignored.
 */
export const ManifestArtifactSchema = z
  .object({
    arch: z.string().min(1),
    sha256: z.string().regex(/^[0-9a-f]{64}$/, 'sha256 is 64 lowercase hex digits'),
    size: z.int().nonnegative(),
  })
  .loose();
export const ManifestSchema = z
  .object({ artifacts: z.record(z.string().min(1), ManifestArtifactSchema) })
  .loose();

export interface LocalArtifact {
  /** Absolute path on this machine. */
  localPath: string;
  /** File name on the host (the manifest path's base name). */
  name: string;
  arch: string;
  sha256: string;
  size: number;
}

export function readManifest(manifestPath: string): LocalArtifact[] {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(manifestPath, 'utf8'));
  } catch (e) {
    throw new CoreError('deploy-failed', `cannot read ${manifestPath}: ${(e as Error).message}`);
  }
  const r = ManifestSchema.safeParse(raw);
  if (!r.success)
    throw new CoreError('deploy-failed', formatIssues(`invalid ${manifestPath}`, r.error.issues));
  const base = dirname(resolve(manifestPath));
  return Object.entries(r.data.artifacts).map(([path, a]) => ({
    localPath: isAbsolute(path) ? path : join(base, path),
    name: basename(path),
    arch: normalizeArch(a.arch),
    sha256: a.sha256,
    size: a.size,
  }));
}

/** `uname -m` spellings → the manifest's arch names. */
export function normalizeArch(arch: string): string {
  const a = arch.trim().toLowerCase();
  if (a === 'amd64' || a === 'x86-64' || a === 'x64') return 'x86_64';
  if (a === 'arm64' || a === 'armv8' || a === 'aarch64_be') return 'aarch64';
  return a;
}

export function artifactsForArch(artifacts: readonly LocalArtifact[], arch: string): LocalArtifact[] {
  const want = normalizeArch(arch);
  const picked = artifacts.filter((a) => a.arch === want);
  if (!picked.length) {
    const have = [...new Set(artifacts.map((a) => a.arch))].join(', ') || 'none';
    throw new CoreError('deploy-failed', `no pktpath loader for ${want} (this build has: ${have})`);
  }
  return picked;
}

export function sha256File(path: string): Promise<string> {
  return new Promise((res, rej) => {
    const h = createHash('sha256');
    createReadStream(path)
      .on('data', (d) => h.update(d))
      .on('error', rej)
      .on('end', () => res(h.digest('hex')));
  });
}

/** Refuses to ship a local file that no longer matches its manifest entry (a half-built or tampered artifact). */
export async function checkLocalArtifact(a: LocalArtifact): Promise<void> {
  let actual: string;
  try {
    actual = await sha256File(a.localPath);
  } catch (e) {
    throw new CoreError('deploy-failed', `artifact ${a.localPath} is missing: ${(e as Error).message}`);
  }
  if (actual !== a.sha256)
    throw new CoreError(
      'deploy-failed',
      `artifact ${a.localPath} has sha256 ${actual}, manifest says ${a.sha256}`,
    );
}
