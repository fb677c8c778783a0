// The report's "Training data composition" section: usable rows per label and source, and the datasets table.
import { html, trusted, type SafeHtml } from '../../run/html.js';
import { compositionSvg } from '../charts/composition.js';
import { reportLabels } from '../caveats.js';
import { int, num, pct } from '../format.js';
import type { Report } from '../model.js';
import { orderSources } from '../theme.js';

async function compositionChart(r: Report): Promise<SafeHtml> {
  const rows = r.composition.filter((c) => num(c.n) > 0);
  if (!rows.length)
    return html`<p class="muted">No composition recorded (datasets/summary.json is missing or empty).</p>`;
  const labelOrder = reportLabels(r);
  const sources = orderSources(rows.map((c) => c.source));
  const rank = (l: string) => (l === 'none' ? 1e6 : labelOrder.indexOf(l) < 0 ? 1e5 : labelOrder.indexOf(l));
  const labels = [...new Set(rows.map((c) => c.label))].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  const n = (l: string, s: string) =>
    rows.filter((c) => c.label === l && c.source === s).reduce((t, c) => t + num(c.n), 0);
  const total = (l: string) => sources.reduce((t, s) => t + n(l, s), 0);
  const svg = trusted(await compositionSvg(rows, labelOrder));
  return html`${svg}<details><summary>Numbers</summary><table class="num"><thead><tr><th>label</th>${sources.map((s) => html`<th>${s}</th>`)}<th>total</th></tr></thead><tbody>${labels.map(
    (l) =>
      html`<tr><th>${l}</th>${sources.map((s) => html`<td>${int(n(l, s))}</td>`)}<td><b>${int(total(l))}</b></td></tr>`,
  )}</tbody></table></details>`;
}

const KNOWN_SETS = new Set([
  'gold',
  'goldTest',
  'silver',
  'silverUsable',
  'bronze',
  'bronzeUsable',
  'bronzeRejected',
  'reviewed',
  'reviewedUsable',
]);

function datasetsTable(r: Report): SafeHtml {
  const d = r.datasets;
  const usable = (u: number | undefined, all: number | undefined) => `${int(u)} (${pct(num(u), num(all))})`;
  const rows: [string, string, string, string][] = [
    ['gold (train)', int(d.gold), int(d.gold), 'human labels'],
    ['gold (test)', int(d.goldTest), '—', 'held out: never used for training, selection or thresholds'],
    ['silver', int(d.silver), usable(d.silverUsable, d.silver), 'corpus sentences labeled by the LLM'],
    ['bronze', int(d.bronze), usable(d.bronzeUsable, d.bronze), 'sentences written by the LLM per label'],
  ];
  if (d.reviewed !== undefined) {
    rows.push([
      'reviewed',
      int(d.reviewed),
      usable(d.reviewedUsable, d.reviewed),
      "silver and bronze rows with a reviewer's labels (they also replace the LLM's labels in silver and bronze)",
    ]);
  }
  if (d.bronzeRejected !== undefined) {
    rows.push([
      'bronze: refused by the sentence gate',
      int(d.bronzeRejected),
      '—',
      'written items that were no sentence: label ids, placeholders, copies of guideline examples (kept in bronze/rejected)',
    ]);
  }
  const extra = Object.entries(d).filter(([k]) => !KNOWN_SETS.has(k));
  return html`<table class="num"><thead><tr><th>set</th><th>rows</th><th>usable for training</th><th class="l">what it is</th></tr></thead><tbody>${rows.map(
    ([a, b, c, e]) => html`<tr><th>${a}</th><td>${b}</td><td>${c}</td><td class="l muted">${e}</td></tr>`,
  )}${extra.map(([k, v]) => html`<tr><th>${k}</th><td>${int(v)}</td><td></td><td></td></tr>`)}</tbody></table>`;
}

export async function compositionSection(r: Report): Promise<SafeHtml> {
  return html`<section id="composition"><h2>Training data composition</h2>
<p class="note">Usable training rows per label and source (gold train, silver, bronze; rows rejected by the self-check excluded). A sentence with several labels counts once per label.</p>
${await compositionChart(r)}
<h3 style="font-size:14px;margin:14px 0 0">Datasets</h3>
${datasetsTable(r)}
</section>`;
}
