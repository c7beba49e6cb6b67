// Escaping for strings a report did not write itself: device names and versions, suite, product and
// criteria text, error messages. Every renderer (Markdown, HTML, JUnit XML, CSV) takes them through
// here, so a name can neither become markup, a link or a formula, nor hide or reorder text with
// invisible control and bidirectional-override characters (shown instead as `\u{202E}`). See
// docs/reliability.md#escaping.

/**
 * C0 controls except tab and newline, DEL and C1 controls, and the bidi marks, embeddings,
 * overrides and isolates (U+061C, U+200E/F, U+202A–U+202E, U+2066–U+2069), plus the two
 * noncharacters and lone surrogates that XML 1.0 cannot hold.
 */
const INVISIBLE =
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Control and bidi characters as visible `\u{XXXX}` text; tab and newline are kept. */
export function showControls(text: string): string {
  return text.replace(INVISIBLE, (c) => `\\u{${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}}`);
}

/** HTML text or attribute value ("—" for nothing). */
export function escapeHtml(value: unknown): string {
  if (value === null || value === undefined) return '—';
  return showControls(String(value))
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** XML 1.0 text or attribute value: what XML cannot hold is shown as an escape, not dropped. */
export function escapeXml(text: string): string {
  return showControls(text)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/**
 * Markdown inline text, safe inside a table cell ("—" for nothing). Backslash first, so a `\` in the
 * data cannot undo the escapes that follow; `[ ]` so no link, image or reference definition forms
 * (a link needs `](`, so `( )` stay readable); `< > &` as entities so no autolink (`<javascript:…>`) or
 * raw HTML does; `` ` * _ `` so no code or emphasis; `|` for tables; newlines become spaces so a cell
 * stays one line.
 */
export function escapeMarkdown(value: unknown): string {
  if (value === null || value === undefined) return '—';
  return showControls(String(value))
    .replace(/\\/g, '\\\\')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/[`*_[\]|]/g, (c) => `\\${c}`)
    .replace(/\r?\n/g, ' ');
}

/**
 * A link target for a path written into Markdown: always a relative or absolute file path (a
 * `scheme:` at the start is made part of a relative path), percent-encoded so it cannot end the link.
 */
export function markdownFileLink(path: string): string {
  const target = /^[a-z][a-z0-9+.-]*:/i.test(path) && !/^[a-z]:[\\/]/i.test(path) ? `./${path}` : path;
  return encodeURI(showControls(target)).replace(/[()[\]<>]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** Cells that start like a formula (= + - @, after any blank) get a leading ' so spreadsheets show them as text. */
const FORMULA_START = /^(\s*[=+\-@]|\t)/;

/** One RFC 4180 CSV cell. Numbers are written as they are (a negative number is not a formula). */
export function escapeCsv(value: unknown): string {
  if (value === null || value === undefined) return '';
  let text = typeof value === 'string' ? showControls(value) : String(value);
  if (typeof value === 'string' && FORMULA_START.test(text)) text = `'${text}`;
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
