import type { ProbeFacts } from '../../../main/api/trace';
import { monaco } from './monaco';

/**
 * The probe-set language (main/core/probeset/parse-probe-set.ts): one kernel function per line, options
 * `arg=N final stack ret`, `#` comments. Highlighting is a Monarch grammar; completion and hover read the probe
 * facts of the host the editor is bound to (its traceable skb functions and their skb argument position).
 */
export const PROBE_LANGUAGE = 'pktpath-probes';

export const OPTIONS: { label: string; insert: string; doc: string }[] = [
  {
    label: 'arg=',
    insert: 'arg=${1|1,2,3,4,5|}',
    doc: 'Position (1-5) of the `struct sk_buff *` argument. Default: what the host’s BTF says.',
  },
  { label: 'final', insert: 'final', doc: 'The packet’s path ends at this function (like consume_skb).' },
  { label: 'stack', insert: 'stack', doc: 'Capture a kernel stack at this hop.' },
  { label: 'ret', insert: 'ret', doc: 'Also record the function’s return value (fexit / kretprobe).' },
];

/** Probe facts per editor model, so two editors on two hosts each complete their own host's functions. */
const factsByModel = new Map<string, ProbeFacts | undefined>();

export function bindModelFacts(model: monaco.editor.ITextModel, facts: ProbeFacts | undefined): void {
  factsByModel.set(model.uri.toString(), facts);
}
export function unbindModel(model: monaco.editor.ITextModel): void {
  factsByModel.delete(model.uri.toString());
}

let registered = false;

export function registerProbeLanguage(): void {
  if (registered) return;
  registered = true;
  monaco.languages.register({ id: PROBE_LANGUAGE });
  monaco.languages.setLanguageConfiguration(PROBE_LANGUAGE, { comments: { lineComment: '#' } });
  // One state: Monarch carries state across lines, and every line has the same shape.
  monaco.languages.setMonarchTokensProvider(PROBE_LANGUAGE, {
    tokenizer: {
      root: [
        [/#.*$/, 'comment'],
        [/^\s*[A-Za-z_]\w*(\.\w+)*/, 'function'],
        [/(arg)(=)([1-5])\b/, ['keyword', 'delimiter', 'number']],
        [/\b(final|stack|ret)\b/, 'keyword'],
        [/\s+/, 'white'],
        [/\S+/, 'invalid'],
      ],
    },
  });
  // every colour at least 4.5:1 on its editor's background (#1e1e1e, #fffffe), as WCAG AA asks of 12 px text:
  // axe checks the editor with the rest of the page in the browser tests
  for (const [name, base, fn, kw, num, comment, invalid] of [
    ['pktpath-dark', 'vs-dark', '4c9aff', 'e0a83a', 'b5cea8', '8b949e', 'ef5b5b'],
    ['pktpath-light', 'vs', '0550ae', '9a6700', '098658', '57606a', 'cf222e'],
  ] as const)
    monaco.editor.defineTheme(name, {
      base,
      inherit: true,
      rules: [
        { token: 'function', foreground: fn },
        { token: 'keyword', foreground: kw, fontStyle: 'bold' },
        { token: 'number', foreground: num },
        { token: 'comment', foreground: comment, fontStyle: 'italic' },
        { token: 'invalid', foreground: invalid, fontStyle: 'underline' },
      ],
      colors: {},
    });

  monaco.languages.registerCompletionItemProvider(PROBE_LANGUAGE, {
    triggerCharacters: ['_', ' '],
    provideCompletionItems(model, position) {
      const line = model.getLineContent(position.lineNumber);
      const before = line.slice(0, position.column - 1);
      const word = model.getWordUntilPosition(position);
      const range = new monaco.Range(
        position.lineNumber,
        word.startColumn,
        position.lineNumber,
        word.endColumn,
      );
      if (before.includes('#')) return { suggestions: [] };
      const atFirstToken = /^\s*[\w.]*$/.test(before);
      if (atFirstToken) {
        const facts = factsByModel.get(model.uri.toString());
        const listed = new Set(
          model
            .getLinesContent()
            .map((l) => l.trim().split(/\s+/)[0])
            .filter(Boolean),
        );
        return {
          suggestions: (facts?.functions ?? [])
            .filter((f) => !listed.has(f.name) || f.name === word.word)
            .map((f) => ({
              label: f.name,
              kind: monaco.languages.CompletionItemKind.Function,
              detail: `skb is argument ${f.pos}${f.module ? ` · ${f.module}` : ''}`,
              ...(f.signature ? { documentation: { value: `\`\`\`c\n${f.signature}\n\`\`\`` } } : {}),
              insertText: f.name,
              range,
            })),
        };
      }
      const used = new Set(
        before
          .split(/\s+/)
          .slice(1)
          .map((t) => t.split('=')[0]),
      );
      return {
        suggestions: OPTIONS.filter((o) => !used.has(o.label.replace('=', ''))).map((o) => ({
          label: o.label,
          kind: monaco.languages.CompletionItemKind.Keyword,
          documentation: o.doc,
          insertText: o.insert,
          insertTextRules: monaco.languages.CompletionItemInsertTextRule.InsertAsSnippet,
          range,
        })),
      };
    },
  });

  monaco.languages.registerHoverProvider(PROBE_LANGUAGE, {
    provideHover(model, position) {
      const word = model.getWordAtPosition(position);
      if (!word) return null;
      const line = model.getLineContent(position.lineNumber);
      const first = /^\s*(\S+)/.exec(line);
      const range = new monaco.Range(
        position.lineNumber,
        word.startColumn,
        position.lineNumber,
        word.endColumn,
      );
      const opt = OPTIONS.find((o) => o.label.replace('=', '') === word.word);
      if (opt && first?.[1] !== word.word)
        return { range, contents: [{ value: `**${opt.label}** — ${opt.doc}` }] };
      if (!first || !first[1]?.startsWith(word.word)) return null;
      const facts = factsByModel.get(model.uri.toString());
      const name = first[1];
      if (!facts)
        return { range, contents: [{ value: `\`${name}\` — probe the host to see what it can trace` }] };
      const f = facts.functions.find((x) => x.name === name);
      if (!f)
        return {
          range,
          contents: [
            {
              value: `\`${name}\` is **not traceable** on ${facts.kernel.release} (no BTF entry with an skb argument, or not in available_filter_functions)`,
            },
          ],
        };
      // the loader's probe reads the declaration from the host's BTF (older probe caches lack it)
      return {
        range,
        contents: [
          { value: f.signature ? `\`\`\`c\n${f.signature}\n\`\`\`` : `\`${name}(…)\`` },
          {
            value: `\`struct sk_buff *\` is argument **${f.pos}**${f.module ? ` · module \`${f.module}\`` : ' · vmlinux'} · ${facts.kernel.release}`,
          },
        ],
      };
    },
  });
}
