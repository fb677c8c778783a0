// The report's "Learning curves" section: F1 against the share of synthetic rows, and of gold training rows.
import { html, trusted, type SafeHtml } from '../../run/html.js';
import { learningCurveSvg, type CurveAxis } from '../charts/curve.js';
import type { CurveRow } from '../../evaluate/compare.js';
import { f3, int } from '../format.js';
import type { Report } from '../model.js';

const table = (rows: CurveRow[]) =>
  html`<table class="num"><thead><tr><th>mix</th><th>share</th><th>training rows</th><th>macro-F1 (mean ± sd)</th><th>micro-F1 (mean ± sd)</th></tr></thead><tbody>${rows.map(
    (c) =>
      html`<tr><th>${c.mix}</th><td>${`${Math.round(c.share * 100)}%`}</td><td>${int(c.n)}</td><td>${f3(c.macroF1.mean)} ± ${f3(c.macroF1.sd)}</td><td>${f3(c.microF1.mean)} ± ${f3(c.microF1.sd)}</td></tr>`,
  )}</tbody></table>`;

async function part(axis: CurveAxis, title: string, note: string, rows: CurveRow[]): Promise<SafeHtml> {
  if (!rows.length) return html``;
  const points = rows.map((c) => ({ mix: c.mix, share: c.share, n: c.n, mean: c.macroF1.mean, sd: c.macroF1.sd }));
  const svg = trusted(await learningCurveSvg(points, axis));
  return html`<h3 style="font-size:14px;margin:14px 0 0">${title}</h3><p class="note">${note}</p>${svg}<details><summary>Numbers</summary>${table(rows)}</details>`;
}

export async function curvesSection(r: Report): Promise<SafeHtml> {
  if (!r.curves.synthetic.length && !r.curves.gold.length) return html``;
  const [synthetic, gold] = await Promise.all([
    part(
      'synthetic',
      'Share of the synthetic rows',
      'Each mix trained on all of its gold and a seeded share of its synthetic rows (the smaller samples lie inside the larger ones). A curve still rising at 100% says more synthetic data may help.',
      r.curves.synthetic,
    ),
    part(
      'gold',
      'Share of the gold training rows (by note)',
      'Each mix trained on a share of the gold notes of every fold, with its synthetic rows; the gold mix is the curve without synthetic data. Where a synthetic mix at a smaller share reaches gold alone at 100%, the synthetic data is worth the rest of the gold.',
      r.curves.gold,
    ),
  ]);
  return html`<section id="curves"><h2>Learning curves</h2>
${synthetic}
${gold}
</section>`;
}
