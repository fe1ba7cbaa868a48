// Every repository path the docs or code comments cite must exist: a renamed or deleted file otherwise leaves
// readers chasing a path that is gone. Runs over the real checkout; a second case plants broken citations in a
// scratch tree to show the check finds them (it must never pass by finding nothing).
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, extname, join, posix, resolve } from 'node:path';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';

type Citation = { file: string; line: number; path: string };
type Comment = { start: number; text: string };

/** Directories whose comments are read; docs/*.md and README.md are read whole. */
const CODE_DIRS = ['main', 'renderer', 'bpf', 'test', 'scripts', 'bench'];
const TS_EXTS = new Set(['.ts', '.tsx', '.mts', '.cts', '.js', '.mjs', '.cjs']);
const C_EXTS = new Set(['.c', '.h', '.css']);
/** Data, not prose: test fixtures are recorded output; JSON has no comments. */
const isData = (rel: string) =>
  /(^|\/)fixtures\//.test(rel) || ['.json', '.bin', '.o'].includes(extname(rel));

/** .gitignore's directories (node_modules/, dist/, bpf/.output/…): not walked, and paths cited under them are build output. */
function ignored(root: string) {
  const lines = readFileSync(join(root, '.gitignore'), 'utf8').split('\n');
  const dirs = lines.map((l) => l.trim()).filter((l) => l.endsWith('/') && !l.startsWith('#'));
  return dirs.map((d) => d.replace(/^\//, ''));
}

/** Every file and directory (directories with a trailing `/`) of the checkout, repository-relative. */
function walk(root: string, skip: string[], rel = ''): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(root, rel), { withFileTypes: true })) {
    const p = rel + e.name + (e.isDirectory() ? '/' : '');
    if (e.name === '.git' || skip.includes(p)) continue;
    out.push(p);
    if (e.isDirectory()) out.push(...walk(root, skip, p));
  }
  return out;
}

/** TypeScript's own scanner, run through the parsed tree so regex and template literals are never taken for comments. */
function tsComments(file: string, text: string): Comment[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false);
  const seen = new Map<number, Comment>();
  const add = (ranges: ts.CommentRange[] | undefined) =>
    ranges?.forEach((r) => seen.set(r.pos, { start: r.pos, text: text.slice(r.pos, r.end) }));
  const visit = (node: ts.Node) => {
    add(ts.getLeadingCommentRanges(text, node.getFullStart()));
    add(ts.getTrailingCommentRanges(text, node.getEnd()));
    node.getChildren(sf).forEach(visit);
  };
  visit(sf);
  return [...seen.values()];
}

/** C and CSS: `//` and `/* … *\/` outside string and character literals. */
function cComments(text: string): Comment[] {
  const out: Comment[] = [];
  const re = /"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'|\/\/[^\n]*|\/\*[\s\S]*?\*\//g;
  for (const m of text.matchAll(re)) if (m[0].startsWith('/')) out.push({ start: m.index, text: m[0] });
  return out;
}

/** Shell and config files: `#` at the start of a line or after a blank, up to the line's end. */
function hashComments(text: string): Comment[] {
  return [...text.matchAll(/(?<=^|[ \t])#[^\n]*/gm)].map((m) => ({ start: m.index, text: m[0] }));
}

function comments(file: string, text: string): Comment[] {
  const ext = extname(file);
  if (TS_EXTS.has(ext)) return tsComments(file, text);
  if (C_EXTS.has(ext)) return cComments(text);
  if (ext === '.html')
    return [...text.matchAll(/<!--[\s\S]*?-->/g)].map((m) => ({ start: m.index, text: m[0] }));
  return hashComments(text);
}

/** Tokens that start with a top-level directory's name and go on with `/`: `docs/API.md`, `resources/<arch>/…`. */
function cited(text: string, tops: string[]): { index: number; path: string }[] {
  const re = new RegExp(`(?<![\\w./~$@-])(?:${tops.join('|')})/[\\w.<>*…/-]*`, 'g');
  return [...text.matchAll(re)].map((m) => ({ index: m.index, path: m[0].replace(/[.,-]+$/, '') }));
}

/** Markdown links to a relative file (`[x](SESSION-FORMAT.md)`), as repository paths. */
function linked(doc: string, text: string): { index: number; path: string }[] {
  return [...text.matchAll(/\]\(([^)\s#]+)(?:#[^)]*)?\)/g)]
    .filter((m) => !/^[a-z][a-z+.-]*:/i.test(m[1]!))
    .map((m) => ({ index: m.index + 2, path: posix.normalize(posix.join(posix.dirname(doc), m[1]!)) }));
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const lineAt = (text: string, index: number) => text.slice(0, index).split('\n').length;

/** Every citation in docs/*.md, README.md and the comments under CODE_DIRS. */
function citations(root: string, entries: string[]): Citation[] {
  const tops = entries.filter((e) => /^[^/]+\/$/.test(e)).map((e) => escape(e.slice(0, -1)));
  const out: Citation[] = [];
  const docs = entries.filter((e) => e === 'README.md' || /^docs\/[^/]+\.md$/.test(e));
  for (const doc of docs) {
    const text = readFileSync(join(root, doc), 'utf8');
    for (const c of [...cited(text, tops), ...linked(doc, text)])
      out.push({ file: doc, line: lineAt(text, c.index), path: c.path });
  }
  const code = entries.filter((e) => CODE_DIRS.includes(e.split('/')[0]!) && !e.endsWith('/') && !isData(e));
  for (const file of code) {
    const text = readFileSync(join(root, file), 'utf8');
    for (const cm of comments(file, text))
      for (const c of cited(cm.text, tops))
        out.push({ file, line: lineAt(text, cm.start + c.index), path: c.path });
  }
  return out;
}

/** Placeholders (`<arch>`, `*`) stand for one path segment, `**` and `…` for anything below. */
function matcher(path: string): RegExp {
  const parts = path.split(/(<[^>/]*>|\*\*|\*|…)/);
  const body = parts
    .map((p, i) => (i % 2 === 0 ? escape(p) : p === '…' || p === '**' ? '.*' : '[^/]+'))
    .join('');
  return new RegExp(`^${body}/?$`);
}

/** Citations whose path names nothing in the checkout, as `file:line: path`. */
function missing(root: string): { broken: string[]; checked: number } {
  const skip = ignored(root);
  const entries = walk(root, skip);
  const all = citations(root, entries);
  const live = all.filter((c) => !skip.some((d) => `${c.path}/`.startsWith(d)));
  const broken = live
    .filter((c) => {
      const re = matcher(c.path);
      return !entries.some((e) => re.test(e));
    })
    .map((c) => `${c.file}:${c.line}: ${c.path}`);
  return { broken: broken.sort(), checked: live.length };
}

const ROOT = resolve(import.meta.dirname, '..', '..');

describe('cited repository paths', () => {
  it('every path cited in docs and code comments exists', () => {
    const { broken, checked } = missing(ROOT);
    expect(checked).toBeGreaterThan(100);
    expect(broken).toEqual([]);
  });

  describe('in a scratch tree with broken citations', () => {
    const root = mkdtempSync(join(tmpdir(), 'pktpath-docpaths-'));
    afterAll(() => rmSync(root, { recursive: true, force: true }));
    const put = (rel: string, text: string) => {
      mkdirSync(dirname(join(root, rel)), { recursive: true });
      writeFileSync(join(root, rel), text);
    };

    it('lists each missing path with the file and line that cite it', () => {
      put('.gitignore', 'node_modules/\nbench/results/\n');
      put(
        'main/core/real.ts',
        "// See docs/REAL.md and main/core/gone.ts.\nconst s = 'main/core/not-a-comment.ts';\n",
      );
      put('resources/x86_64/pktpath-loader', '');
      put('bench/results/built.sh', '# build output, not read: main/none.ts\n');
      put(
        'bpf/loader/main.c',
        '/* built into resources/<arch>/pktpath-loader */\nchar *s = "// bpf/in-a-string.c";\n// bpf/loader/old.c\n',
      );
      put('scripts/run.sh', '#!/bin/sh\necho "$#" # writes bench/results/x.json, reads test/lab/nope.ts\n');
      put(
        'test/unit/a.test.ts',
        '/** `scripts/run.sh`, `bpf/**`, `main/core/…` and /work/main/x, ~/.cache/main/x */\n',
      );
      put(
        'docs/REAL.md',
        'Code in `main/core/…`.\n\nSee [other](OTHER.md), [this](REAL.md#top), `test/unit/` and `docs/*.md`.\n',
      );
      expect(missing(root)).toEqual({
        broken: [
          'bpf/loader/main.c:3: bpf/loader/old.c',
          'docs/REAL.md:3: docs/OTHER.md',
          'main/core/real.ts:1: main/core/gone.ts',
          'scripts/run.sh:2: test/lab/nope.ts',
        ],
        checked: 13,
      });
    });
  });
});
