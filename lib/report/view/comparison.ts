// The report's "Each mix against the baseline" section: the forest plot of Δ macro-F1 with CIs and p, and its numbers.
import { html, trusted, type SafeHtml } from '../../run/html.js';
import { forestPlotSvg, type ForestRow } from '../charts/forest.js';
import type { MixComparison } from '../../evaluate/compare.js';
import { ciLevel, ciText, int, pText } from '../format.js';
import type { Report } from '../model.js';

/** Forest-plot rows of macro-F1 comparisons; `baseline` names what each mix was compared with, when not its own. */
export const forestRows = (comparisons: Record<string, MixComparison>, baseline?: string): ForestRow[] =>
  Object.entries(comparisons).map(([mix, c]) => ({
    mix,
    baseline: baseline ?? c.baseline,
    delta: c.macroF1.delta,
    lo: c.macroF1.ci[0],
    hi: c.macroF1.ci[1],
    p: c.macroF1.p,
    pHolm: c.macroF1.pHolm,
  }));

/** One table row: Δ macro-F1 [CI], p, Holm p, Δ micro-F1 [CI] (and its p, unless `microP` is false). */
export const comparisonCells = (m: string, c: MixComparison, microP = true): SafeHtml =>
  html`<tr><th>${m}</th><td>${ciText(c.macroF1.delta, c.macroF1.ci[0], c.macroF1.ci[1])}</td><td>${pText(c.macroF1.p)}</td><td>${pText(c.macroF1.pHolm)}</td><td>${ciText(c.microF1.delta, c.microF1.ci[0], c.microF1.ci[1])}</td>${microP && html`<td>${pText(c.microF1.p)}</td>`}</tr>`;

export async function comparisonSection(r: Report): Promise<SafeHtml> {
  const mixes = Object.keys(r.comparisons);
  const { baseline, resamples, alpha, folds } = r.evaluation;
  const level = ciLevel(alpha);
  if (!mixes.length) {
    return html`<section id="comparison"><h2>Each mix against ${baseline}</h2><p class="muted">No comparison: the baseline mix ${baseline} was not evaluated, or it is the only mix.</p></section>`;
  }
  const forest = trusted(await forestPlotSvg(forestRows(r.comparisons), { alpha }));
  const first = r.comparisons[mixes[0]!]!;
  return html`<section id="comparison"><h2>Each mix against ${baseline}</h2>
<p class="note">Δ = mean-over-seeds F1 of the mix minus that of ${baseline}, on the pooled out-of-fold predictions of ${int(first.sentences)} gold sentences from ${int(first.notes)} notes (${int(folds)} fold${folds === 1 ? '' : 's'}). Bars: ${level} paired cluster-bootstrap interval (${int(resamples)} resamples of notes); p: paired approximate-randomisation test, Holm-adjusted across mixes for macro-F1. An interval that crosses 0 means the data does not show a difference. The intervals cover the choice of test notes only, not the LLM's own variance (another sample of silver or bronze data).</p>
${forest}
<details><summary>Numbers</summary><table class="num"><thead><tr><th>mix</th><th>Δ macro-F1 [${level} CI]</th><th>p</th><th>Holm p</th><th>Δ micro-F1 [${level} CI]</th><th>p</th></tr></thead><tbody>${mixes.map((m) => comparisonCells(m, r.comparisons[m]!))}</tbody></table></details>
</section>`;
}
