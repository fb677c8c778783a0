// The report's "F1 per training mix" section: macro- and micro-F1 bars per mix, and their numbers.
import { html, trusted, type SafeHtml } from '../../run/html.js';
import { f1BarSvg } from '../charts/f1-bars.js';
import { int, stat } from '../format.js';
import type { Report } from '../model.js';

export async function f1Section(r: Report): Promise<SafeHtml> {
  const mixes = Object.keys(r.mixes);
  const chart = mixes.length
    ? trusted(await f1BarSvg(mixes.map((m) => ({ mix: m, macro: r.mixes[m]!.macroF1, micro: r.mixes[m]!.microF1 }))))
    : html`<p class="muted">No mix was evaluated: there is nothing to chart.</p>`;
  const folds = r.evaluation.folds;
  const once = mixes.length > 0 && mixes.every((m) => r.mixes[m]!.seedsApply === false);
  const rows = mixes.map((m) => {
    const x = r.mixes[m]!;
    return html`<tr><th>${m}</th><td>${stat(x.macroF1, x.seedsApply)}</td><td>${stat(x.microF1, x.seedsApply)}</td><td>${x.seeds.join(', ')}</td><td>${[...new Set(x.trainedOn)].map(int).join(', ')}</td><td>${int(x.duplicatesDropped)}</td></tr>`;
  });
  return html`<section id="f1"><h2>F1 per training mix</h2>
<p class="note">Every gold test sentence is predicted by a classifier that did not train on its fold (${int(folds)} fold${folds === 1 ? '' : 's'}); ${once ? 'bars are the pooled scores of a deterministic classifier trained once per fold (seeds do not apply: no whiskers).' : 'bars are means over seeds of the pooled scores, whiskers ±1 sd over seeds.'} Macro-F1 averages every taxonomy label equally (rare signs weigh as much as common ones); micro-F1 pools all label decisions.</p>
${chart}
<details><summary>Numbers</summary><table class="num"><thead><tr><th>mix</th><th>macro-F1 (mean ± sd)</th><th>micro-F1 (mean ± sd)</th><th>seeds</th><th>training rows</th><th>repeats trained once</th></tr></thead><tbody>${rows}</tbody></table></details>
</section>`;
}
