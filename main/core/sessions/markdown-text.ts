import { visibleControls } from '../visible-controls.js';

/**
 * Untrusted text placed into a Markdown report (titles, notes, annotations, host and function names come from
 * session files anyone can hand over). Markdown passes raw HTML through and turns `[x](javascript:…)` into links,
 * so every piece is made literal: inline text has each character CommonMark/GFM give meaning to backslash-escaped,
 * code spans and fenced blocks use a fence longer than any backtick run inside. Controls become `\uXXXX`.
 */

// HTML and autolinks (< > &), links and images ([ ] ( ) !), code and emphasis (` * ~), tables (|), headings (#).
// `_` stays: kernel names are full of it (NETFILTER_DROP, x86_64), and GFM never emphasises inside a word.
const MARKDOWN_PUNCTUATION = /[\\`*[\]()<>!|~&#]/g;

/** One line of literal text for a paragraph, heading, list item or table cell. */
export function mdText(s: string): string {
  return visibleControls(s, { oneLine: true }).replace(MARKDOWN_PUNCTUATION, '\\$&');
}

function longestBacktickRun(s: string): number {
  let longest = 0;
  let run = 0;
  for (const ch of s) {
    run = ch === '`' ? run + 1 : 0;
    if (run > longest) longest = run;
  }
  return longest;
}

/**
 * A code span. The fence is longer than any backtick run inside, so no content can close it; content that starts or
 * ends with a backtick or space is padded with one space each side, which CommonMark strips again. In a table cell a
 * pipe still splits cells: it becomes `\|`, and backslashes right before it are doubled so none can undo that.
 */
export function mdCode(s: string, opts: { inTable?: boolean } = {}): string {
  let text = visibleControls(s, { oneLine: true });
  if (opts.inTable) text = text.replace(/\\*\|/g, (m) => `${m.slice(0, -1).replace(/\\/g, '\\\\')}\\|`);
  const fence = '`'.repeat(longestBacktickRun(text) + 1);
  const pad = /^[` ]|[` ]$/.test(text) ? ' ' : '';
  return `${fence}${pad}${text}${pad}${fence}`;
}

/** A fenced block shown verbatim, line breaks kept: nothing inside is parsed as Markdown or HTML. */
export function mdBlock(s: string): string[] {
  const text = visibleControls(s).replace(/\t/g, '    ');
  const fence = '`'.repeat(Math.max(3, longestBacktickRun(text) + 1));
  return [`${fence}text`, ...text.split('\n'), fence];
}
