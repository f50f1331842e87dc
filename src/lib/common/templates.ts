/**
 * Summary templates of threshold-alert: `{{device}} {{instance}}: {{value}}` with any
 * row or payload field (`{{ifAlias}}`) and device labels (`{{labels.site}}`). No logic,
 * no HTML: a template only substitutes values, and each output format escapes the
 * substituted values for itself (the template's own text is the flow author's).
 */

const PLACEHOLDER = /\{\{\s*([A-Za-z_][\w.:-]*)\s*\}\}/g;

/** Longest text a substituted value may have; device strings can be anything. */
export const MAX_VALUE_CHARS = 256;

/** Names a template refers to, in order of first use. */
export function templateNames(template: string): string[] {
  const names = new Set<string>();
  for (const m of template.matchAll(PLACEHOLDER)) names.add(m[1]);
  return [...names];
}

/**
 * Fills a template. Unknown names give an empty string; runs of spaces collapse.
 * @param escapeValue applied to every substituted value (e.g. Slack escaping), never
 *   to the template's own text
 */
export function renderTemplate(template: string, vars: Record<string, string>, escapeValue: (s: string) => string = (s) => s): string {
  const text = template.replace(PLACEHOLDER, (_m, name: string) => {
    const v = Object.prototype.hasOwnProperty.call(vars, name) ? vars[name] : '';
    return escapeValue(v);
  });
  // An empty value (a device-wide alert has no instance) leaves no double space behind.
  return text.replace(/ {2,}/g, ' ').trim();
}

/**
 * A value as text for a summary: numbers with at most 6 significant digits (a rate of
 * 899999999.87 b/s reads 900000000), text cut at {@link MAX_VALUE_CHARS} with control
 * characters (newlines included) turned into spaces so a value cannot forge lines.
 */
export function valueText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(Number(v.toPrecision(6))) : String(v);
  if (typeof v === 'string') return cleanText(v);
  if (typeof v === 'boolean') return String(v);
  try {
    return cleanText(JSON.stringify(v) ?? '');
  } catch {
    return '';
  }
}

/**
 * Invisible characters that change how the text around them reads: bidirectional
 * overrides, embeddings and isolates (U+202E turns "txt.exe" around), marks, zero-width
 * characters and the BOM. Device text shows them as `[U+202E]`.
 */
// eslint-disable-next-line no-misleading-character-class
const INVISIBLE_FORMAT = /[\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff]/g;

/**
 * Control characters to spaces, bidi and other invisible format characters made
 * visible (`[U+202E]`), cut to `max` characters (not splitting a surrogate pair).
 */
export function cleanText(s: string, max = MAX_VALUE_CHARS): string {
  // eslint-disable-next-line no-control-regex
  let out = s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, ' ')
    .replace(INVISIBLE_FORMAT, (c) => `[U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}]`);
  if (out.length > max) {
    let cut = max - 1;
    const code = out.charCodeAt(cut - 1);
    if (code >= 0xd800 && code <= 0xdbff) cut--;
    out = out.slice(0, cut) + '…';
  }
  return out;
}
