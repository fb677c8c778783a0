// The report's "Safety" section: rows with possible PHI per set and kind, and what was dropped before training.
import { html, type SafeHtml } from '../../run/html.js';
import { int, num } from '../format.js';
import type { Report } from '../model.js';
import { orderSources } from '../theme.js';

function safety(r: Report): SafeHtml {
  const s = r.safety;
  if (!s)
    return html`<p class="muted not-computed">Safety screening: <b>not computed</b> for this run (no <code>safety</code> in datasets/summary.json).</p>`;
  const cls = (v: number) => num(v) > 0 && html` class="warn"`;
  const phiRows = (s.phiRows ?? {}) as Record<string, number>;
  const sets = orderSources(Object.keys(phiRows).concat(['gold', 'silver', 'bronze']));
  const phi = html`<table class="num"><thead><tr><th>set</th><th>rows with possible PHI</th></tr></thead><tbody>${sets.map(
    (k) => html`<tr><th>${k}</th><td${cls(num(phiRows[k]))}>${int(phiRows[k])}</td></tr>`,
  )}</tbody></table>`;
  const kinds = Object.entries(s.phiByKind ?? {}).sort((a, b) => num(b[1]) - num(a[1]));
  const byKind = kinds.length
    ? html`<table class="num"><thead><tr><th>PHI kind</th><th>matches</th></tr></thead><tbody>${kinds.map(([k, v]) => html`<tr><th>${k}</th><td${cls(v)}>${int(v)}</td></tr>`)}</tbody></table>`
    : html`<p class="muted">No PHI pattern matched.</p>`;
  const leak = (s.leakageDropped ?? {}) as Record<string, number>;
  const drops = html`<table class="num"><thead><tr><th>dropped before training</th><th>rows</th></tr></thead><tbody><tr><th>silver: test-set leakage</th><td>${int(leak.silver)}</td></tr><tr><th>bronze: test-set leakage</th><td>${int(leak.bronze)}</td></tr><tr><th>bronze: repeated sentences (merged)</th><td>${s.repeatsMerged === undefined ? '—' : int(s.repeatsMerged)}</td></tr><tr><th>near duplicates</th><td>${int(s.nearDuplicatesDropped)}</td></tr></tbody></table>`;
  return html`<div class="row">${phi}${byKind}${drops}</div>`;
}

export function safetySection(r: Report): SafeHtml {
  return html`<section id="safety"><h2>Safety</h2>
${safety(r)}
</section>`;
}
