// report.html: the page around the sections — head, header (run, KPIs, headline, caveats), the sections in order, footer.
import { html, trusted, type SafeHtml } from '../../run/html.js';
import { caveats } from '../caveats.js';
import { f3, int, stat } from '../format.js';
import type { Report } from '../model.js';
import { REPORT_CSS } from '../theme.js';
import { agreementSection } from './agreement.js';
import { agreementCiSection } from './agreement-ci.js';
import { comparisonSection } from './comparison.js';
import { compositionSection } from './composition.js';
import { curvesSection } from './curves.js';
import { f1Section } from './f1.js';
import { fidelitySection } from './fidelity.js';
import { labelsSection } from './labels.js';
import { llmSection } from './llm.js';
import { promptsSection } from './prompts.js';
import { reviewSection } from './review.js';
import { safetySection } from './safety.js';
import { selfCheckSection } from './selfcheck.js';
import { stagesSection } from './stages.js';

/** A section of the page, drawn from the report model (a new section: one module, one entry in SECTIONS). */
export type Section = (r: Report) => SafeHtml | Promise<SafeHtml>;

export const SECTIONS: readonly Section[] = [
  f1Section,
  comparisonSection,
  curvesSection,
  labelsSection,
  compositionSection,
  selfCheckSection,
  safetySection,
  agreementSection,
  agreementCiSection,
  fidelitySection,
  reviewSection,
  promptsSection,
  llmSection,
  stagesSection,
];

/** The headline numbers: best macro-F1, gold only, the gain over gold only, the test set and seeds. */
function kpis(r: Report): [string, string, string?][] {
  const mixes = Object.keys(r.mixes);
  const best = [...mixes].sort((a, b) => r.mixes[b]!.macroF1.mean - r.mixes[a]!.macroF1.mean)[0];
  const gold = r.mixes.gold;
  const seeds = [...new Set(mixes.flatMap((m) => r.mixes[m]!.seeds))].sort((a, b) => a - b);
  const out: [string, string, string?][] = [];
  const once = mixes.length > 0 && mixes.every((m) => r.mixes[m]!.seedsApply === false);
  if (best) out.push(['best macro-F1', stat(r.mixes[best]!.macroF1, r.mixes[best]!.seedsApply), best]);
  if (gold && best !== 'gold') out.push(['gold only, macro-F1', stat(gold.macroF1, gold.seedsApply), 'baseline']);
  if (best && gold && best !== 'gold') {
    const d = r.mixes[best]!.macroF1.mean - gold.macroF1.mean;
    out.push(['gain over gold only', `${d >= 0 ? '+' : '−'}${f3(Math.abs(d))}`, `${best} vs gold (macro-F1)`]);
  } else if (best === 'gold' && mixes.length > 1)
    out.push(['gain over gold only', 'none', 'no other mix beat gold only']);
  out.push([
    'gold test sentences',
    int(r.datasets.goldTest),
    once
      ? 'deterministic classifier: trained once, seeds do not apply'
      : `${seeds.length} seed${seeds.length === 1 ? '' : 's'}${seeds.length ? `: ${seeds.join(', ')}` : ''}`,
  ]);
  return out;
}

/** Which encoder every F1 figure used: the run's `train.encoder` and the id of the files it loaded. */
function features(r: Report): string {
  const all = Object.values(r.mixes).flatMap((x) =>
    x.encoder ? [`${x.encoder.classifier} on ${x.encoder.spec} embeddings (${x.encoder.id})`] : [],
  );
  return [...new Set(all)].join('; ');
}

function header(r: Report): SafeHtml {
  const safeUrl = r.uiUrl && /^https?:\/\//i.test(r.uiUrl) ? r.uiUrl : null;
  const warn = caveats(r);
  const workflow = safeUrl
    ? html`<a id="temporal-link" href="${safeUrl}">${r.workflowId}</a> <span class="muted">(Temporal UI)</span>`
    : html`${r.workflowId} <span class="muted">(no Temporal UI link)</span>`;
  const kpiBoxes = kpis(r).map(
    ([k, v, s]) =>
      html`<div class="kpi"><div class="k">${k}</div><div class="v">${v}</div>${s && html`<div class="s">${s}</div>`}</div>`,
  );
  return html`<header>
<h1>clinsynth report: <span class="run">${r.runId}</span></h1>
<dl class="meta">
<dt>experiment</dt><dd><b>${r.experiment}</b></dd>
<dt>taxonomy</dt><dd>${r.taxonomyVersion}</dd>
<dt>workflow</dt><dd>${workflow}</dd>
<dt>generated</dt><dd>${r.generatedAt}</dd>
${features(r) && html`<dt>features</dt><dd id="encoder">${features(r)}</dd>`}
</dl>
<div class="kpis">${kpiBoxes}</div>
${r.headline.length > 0 && html`<div id="headline" class="headline"><b>The answer, with its uncertainty</b><ul>${r.headline.map((h) => html`<li>${h}</li>`)}</ul></div>`}
${warn.length > 0 && html`<div class="caveats"><b>Read with care</b><ul>${warn.map((w) => html`<li>${w}</li>`)}</ul></div>`}
</header>`;
}

/** A single HTML file with inline SVG charts (Vega-Lite, rendered here): no scripts, no network. */
export async function renderReportHtml(r: Report): Promise<string> {
  const sections = await Promise.all(SECTIONS.map((s) => s(r)));
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>clinsynth report — ${r.runId}</title>
<style>${trusted(REPORT_CSS)}</style></head>
<body><main>
${header(r)}
${sections.map((s) => html`${s}\n`)}
<footer>Self-contained report: no scripts, no external resources. Machine-readable twin: report.json.</footer>
</main></body></html>
`.value;
}
