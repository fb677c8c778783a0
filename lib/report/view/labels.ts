// The report's "Per-label F1" section: the labels × mixes heatmap, cells marked where Δ vs the baseline excludes 0.
import { html, trusted, type SafeHtml } from '../../run/html.js';
import { labelHeatmapSvg, type HeatCell } from '../charts/heatmap.js';
import { reportLabels } from '../caveats.js';
import { ciLevel } from '../format.js';
import type { Report } from '../model.js';

function heatCells(r: Report, mixes: string[], labels: string[]): HeatCell[] {
  const cells: HeatCell[] = [];
  for (const l of labels) {
    for (const m of mixes) {
      const s = r.mixes[m]!.perLabel[l];
      if (!s) continue;
      const d = r.comparisons[m]?.perLabel[l];
      cells.push({
        label: l,
        mix: m,
        f1: s.f1,
        support: s.support,
        ...(d ? { delta: { value: d.delta, lo: d.ci[0], hi: d.ci[1] } } : {}),
      });
    }
  }
  return cells;
}

export async function labelsSection(r: Report): Promise<SafeHtml> {
  const mixes = Object.keys(r.mixes);
  const labels = reportLabels(r);
  const { baseline, alpha } = r.evaluation;
  const chart =
    mixes.length && labels.length
      ? trusted(await labelHeatmapSvg(heatCells(r, mixes, labels), { baseline, alpha }))
      : html`<p class="muted">No per-label scores.</p>`;
  return html`<section id="labels"><h2>Per-label F1 (labels × mixes)</h2>
<p class="note">Cell: mean F1 over seeds; ▲/▼ marks a label whose Δ F1 against ${baseline} has a ${ciLevel(alpha)} CI that excludes 0. Support: gold test sentences carrying the label (n &lt; 5 flagged).</p>
${chart}
</section>`;
}
