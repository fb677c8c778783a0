// The one HTML/XML escape, and the auto-escaping `html` tagged template every piece of generated markup is built with.

/** `&`, `<`, `>`, `"` and `'` as numeric character references: safe in HTML/XML/SVG text and quoted attribute values. */
export function escapeHtml(s: unknown): string {
  return String(s).replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/** Markup that is already safe: the result of `html`, or a string marked trusted with `trusted()`. */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

/**
 * Markup whose safety the caller vouches for: a Vega-rendered SVG (Vega escapes its text), the report's fixed CSS.
 * Never pass text that came from a file, a user or a model.
 */
export const trusted = (markup: string): SafeHtml => new SafeHtml(markup);

/** What one `${…}` of an `html` template turns into: markup as is, lists item by item, nothing for null/false. */
function interpolate(v: unknown): string {
  if (v instanceof SafeHtml) return v.value;
  if (Array.isArray(v)) return v.map(interpolate).join('');
  if (v === null || v === undefined || v === false) return '';
  return escapeHtml(v);
}

/**
 * The template tag that builds markup: every interpolated value is escaped unless it is itself `html` (or `trusted`);
 * arrays are joined; `null`, `undefined` and `false` render nothing (so `${cond && html`…`}` works).
 * `html\`<td>${label}</td>\`` with label `<script>` gives `<td>&#60;script&#62;</td>`.
 */
export function html(strings: TemplateStringsArray, ...values: unknown[]): SafeHtml {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += interpolate(values[i]) + strings[i + 1]!;
  return new SafeHtml(out);
}

/** Items joined by a separator (escaped like any value, unless it is markup). */
export const joinHtml = (items: readonly unknown[], separator: unknown): SafeHtml =>
  new SafeHtml(items.map(interpolate).join(interpolate(separator)));
