/**
 * Untrusted text (session titles and notes, a remote `uname -r`, probe output, kernel function names, host error
 * messages) may carry characters a terminal acts on instead of showing: ESC/CSI sequences that move the cursor,
 * clear the screen, set the window title or fake output; C1 controls, which some terminals honour even in UTF-8;
 * and bidi overrides that reorder what is shown ("Trojan Source"). `visibleControls` writes each as `\uXXXX`:
 * visible to the reader, inert, and still a valid escape inside a JSON string.
 */

// C0 except tab and newline, DEL, C1, the Unicode bidi controls (ALM, LRM/RLM, embeddings/overrides, isolates).
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
// The same plus newline, tab and the Unicode line/paragraph separators: for text that must stay on one line.
const CONTROLS_AND_BREAKS =
  // eslint-disable-next-line no-control-regex -- as above
  /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/g;

const hex = (c: string) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/** `s` with every control and bidi character shown as `\uXXXX`; newlines and tabs stay unless `oneLine`. */
export function visibleControls(s: string, opts: { oneLine?: boolean } = {}): string {
  return s.replace(opts.oneLine ? CONTROLS_AND_BREAKS : CONTROLS, hex);
}
