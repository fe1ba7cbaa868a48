import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// The committed tracer artifacts (resources/) must be what `npm run build:bpf` made from the current sources:
// each file matches the manifest, and the manifest's sourcesHash matches bpf/** and the build scripts.
const root = resolve(import.meta.dirname, '../..');
const manifest = JSON.parse(readFileSync(join(root, 'resources/manifest.json'), 'utf8')) as {
  sourcesHash: string;
  artifacts: Record<string, { arch: string; sha256: string; size: number }>;
};
const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

function files(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((d) => {
    const p = join(dir, d.name);
    if (d.isDirectory()) return p === 'bpf/.output' ? [] : files(p);
    return [p];
  });
}

/** Same as scripts/build-bpf.sh: sha256 over `sha256sum` lines ("<hex>  <path>\n") sorted by path (C locale). */
export function sourcesHash(): string {
  const scripts = readdirSync(join(root, 'scripts'))
    .filter((f) => f.startsWith('bpf-'))
    .map((f) => `scripts/${f}`);
  const list = [...files('bpf'), 'scripts/build-bpf.sh', ...scripts].sort((a, b) =>
    a < b ? -1 : a > b ? 1 : 0,
  );
  return sha256(list.map((p) => `${sha256(readFileSync(join(root, p)))}  ${p}\n`).join(''));
}

describe('resources (tracer artifacts)', () => {
  it('lists a loader and the BPF objects for x86_64 and aarch64', () => {
    for (const arch of ['x86_64', 'aarch64'])
      for (const f of ['pktpath-loader', 'pktpath.bpf.o', 'attach_probe.bpf.o'])
        expect(manifest.artifacts[`${arch}/${f}`]).toBeDefined();
  });

  it('every committed artifact matches its manifest entry, and nothing is unlisted', () => {
    const present = files('resources')
      .map((p) => relative('resources', p))
      .filter((p) => p !== 'manifest.json')
      .sort();
    expect(present).toEqual(Object.keys(manifest.artifacts).sort());
    for (const [path, a] of Object.entries(manifest.artifacts)) {
      const buf = readFileSync(join(root, 'resources', path));
      expect({ path, sha256: sha256(buf), size: statSync(join(root, 'resources', path)).size }).toEqual({
        path,
        sha256: a.sha256,
        size: a.size,
      });
    }
  });

  it('was built from the current sources (bpf/** and the build scripts)', () => {
    expect(sourcesHash(), 'bpf/ changed without `npm run build:bpf`').toBe(manifest.sourcesHash);
  });

  it.each([
    ['x86_64', 62],
    ['aarch64', 183],
  ])('the %s loader is a static ELF for its machine, stripped, at most 3 MiB', (arch, machine) => {
    const buf = readFileSync(join(root, 'resources', arch, 'pktpath-loader'));
    expect(buf.subarray(0, 4)).toEqual(Buffer.from([0x7f, 0x45, 0x4c, 0x46]));
    expect(buf[4]).toBe(2); // ELFCLASS64
    expect(buf.readUInt16LE(18)).toBe(machine); // e_machine: EM_X86_64 / EM_AARCH64
    // it is copied to every host it traces: its eBPF objects ride gzip-compressed (loader/bpf_objects.c; 4.1 MB
    // with two of them raw, 2.2 MB with three compressed)
    expect(buf.length).toBeLessThanOrEqual(3 * 1024 * 1024);
    // static: no PT_INTERP and no PT_DYNAMIC program header
    const phoff = Number(buf.readBigUInt64LE(32));
    const phentsize = buf.readUInt16LE(54);
    const phnum = buf.readUInt16LE(56);
    const types = Array.from({ length: phnum }, (_, i) => buf.readUInt32LE(phoff + i * phentsize));
    expect(types).not.toContain(3); // PT_INTERP
    expect(types).not.toContain(2); // PT_DYNAMIC
    // stripped: no .symtab section
    const shoff = Number(buf.readBigUInt64LE(40));
    const shentsize = buf.readUInt16LE(58);
    const shnum = buf.readUInt16LE(60);
    const shTypes = Array.from({ length: shnum }, (_, i) => buf.readUInt32LE(shoff + i * shentsize + 4));
    expect(shTypes).not.toContain(2); // SHT_SYMTAB
  });

  it('BPF objects are eBPF ELF relocatables with BTF (CO-RE)', () => {
    for (const arch of ['x86_64', 'aarch64']) {
      const buf = readFileSync(join(root, 'resources', arch, 'pktpath.bpf.o'));
      expect(buf.readUInt16LE(18)).toBe(247); // EM_BPF
      expect(buf.readUInt16LE(16)).toBe(1); // ET_REL
      expect(buf.includes(Buffer.from('.BTF.ext'))).toBe(true);
    }
  });
});
