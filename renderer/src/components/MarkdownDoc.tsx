import { Fragment, useMemo, type ReactNode } from 'react';
import { marked, type Token, type Tokens } from 'marked';

/**
 * Markdown shown as a document: marked's lexer parses it (CommonMark + GFM tables), and each token becomes a React
 * element — no HTML string is ever built or injected. So raw HTML in the text stays text, a link is its text with
 * its target beside it (never live), and an image is its alt text: the report may come from an imported session.
 */
export function MarkdownDoc({ markdown, testId }: { markdown: string; testId?: string }) {
  const tokens = useMemo(() => marked.lexer(markdown, { gfm: true }), [markdown]);
  return (
    <div className="markdown-doc" data-testid={testId}>
      {blocks(tokens)}
    </div>
  );
}

/** marked's lexer HTML-escapes token text (it is made for HTML output); React escapes again, so undo it. */
const ENTITY = /&(amp|lt|gt|quot|#39|#(\d{1,7})|#[xX]([0-9a-fA-F]{1,6}));/g;
const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" };
function unescape(s: string): string {
  return s.replace(ENTITY, (m, name: string, dec?: string, hex?: string) => {
    const code = dec ? Number(dec) : hex ? parseInt(hex, 16) : undefined;
    if (code === undefined) return NAMED[name] ?? m;
    return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : '\uFFFD';
  });
}

function blocks(tokens: readonly Token[]): ReactNode {
  return tokens.map((t, i) => <Fragment key={i}>{block(t)}</Fragment>);
}

function block(t: Token): ReactNode {
  const tok = t as Tokens.Generic;
  switch (t.type) {
    case 'heading': {
      const h = t as Tokens.Heading;
      // the dialog's own title is an h2: the document's levels start below it
      const Tag = (['h3', 'h4', 'h5', 'h6'] as const)[Math.min(h.depth, 4) - 1] ?? 'h6';
      return <Tag>{inline(h.tokens)}</Tag>;
    }
    case 'paragraph':
      return <p>{inline((t as Tokens.Paragraph).tokens)}</p>;
    case 'list':
      return list(t as Tokens.List);
    case 'table':
      return table(t as Tokens.Table);
    case 'code':
      return (
        <pre className="mono">
          <code>{(t as Tokens.Code).text}</code>
        </pre>
      );
    case 'blockquote':
      return <blockquote>{blocks((t as Tokens.Blockquote).tokens)}</blockquote>;
    case 'hr':
      return <hr />;
    case 'space':
      return null;
    case 'text':
      return tok.tokens ? inline(tok.tokens as Token[]) : unescape(String(tok.text ?? ''));
    default:
      // html and anything else: its source, as text
      return <p>{tok.raw}</p>;
  }
}

function list(l: Tokens.List): ReactNode {
  const items = l.items.map((it, i) => <li key={i}>{blocks(it.tokens)}</li>);
  return l.ordered ? (
    <ol start={typeof l.start === 'number' ? l.start : undefined}>{items}</ol>
  ) : (
    <ul>{items}</ul>
  );
}

function table(t: Tokens.Table): ReactNode {
  const align = (i: number) => t.align[i] ?? undefined;
  return (
    <table className="grid">
      <thead>
        <tr>
          {t.header.map((c, i) => (
            <th key={i} style={{ textAlign: align(i) }}>
              {inline(c.tokens)}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {t.rows.map((row, r) => (
          <tr key={r}>
            {row.map((c, i) => (
              <td key={i} style={{ textAlign: align(i) }}>
                {inline(c.tokens)}
              </td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function inline(tokens: readonly Token[] | undefined): ReactNode {
  return (tokens ?? []).map((t, i) => <Fragment key={i}>{span(t)}</Fragment>);
}

function span(t: Token): ReactNode {
  const tok = t as Tokens.Generic;
  switch (t.type) {
    case 'strong':
      return <strong>{inline((t as Tokens.Strong).tokens)}</strong>;
    case 'em':
      return <em>{inline((t as Tokens.Em).tokens)}</em>;
    case 'del':
      return <del>{inline((t as Tokens.Del).tokens)}</del>;
    case 'codespan':
      return <code>{unescape((t as Tokens.Codespan).text)}</code>;
    case 'br':
      return <br />;
    case 'link': {
      // never a live link: its text, and where it points as text
      const l = t as Tokens.Link;
      return (
        <>
          {inline(l.tokens)} <span className="dim">({l.href})</span>
        </>
      );
    }
    case 'image':
      return `[image: ${unescape((t as Tokens.Image).text)}]`;
    case 'text':
    case 'escape':
      return tok.tokens ? inline(tok.tokens as Token[]) : unescape(String(tok.text ?? ''));
    default:
      return tok.raw;
  }
}
