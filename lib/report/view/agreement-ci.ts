// The report's "Agreement with its uncertainty" section: per label κ, precision and recall of the LLM against gold with note-bootstrap CIs, and reviewer-vs-LLM κ.
import type { AgreementSet, Estimate } from '../../evaluate/label-agreement.js';
import { html, type SafeHtml } from '../../run/html.js';
import { ciLevel, f3, int } from '../format.js';
import type { Report } from '../model.js';

const est = (e: Estimate) =>
  e.value === null
    ? '—'
    : e.ci
      ? html`${f3(e.value)} <span class="muted">[${f3(e.ci[0])}, ${f3(e.ci[1])}]</span>`
      : f3(e.value);

function setTable(name: string, s: AgreementSet): SafeHtml {
  const rows = Object.entries(s.perLabel).map(
    ([l, x]) =>
      html`<tr><th>${l}</th><td>${est(x.kappa)}</td><td>${est(x.precision)}</td><td>${est(x.recall)}</td><td>${int(x.confusion.tp)}</td><td>${int(x.confusion.fp)}</td><td>${int(x.confusion.fn)}</td><td>${int(x.confusion.tn)}</td></tr>`,
  );
  return html`<h3 style="font-size:14px;margin:14px 0 0">${name} <span class="muted">(${int(s.sentences)} sentences, ${int(s.clusters)} notes)</span></h3>
<table class="num"><thead><tr><th>label</th><th>Cohen's κ [CI]</th><th>precision [CI]</th><th>recall [CI]</th><th>TP</th><th>FP</th><th>FN</th><th>TN</th></tr></thead><tbody>${rows}</tbody></table>`;
}

export function agreementCiSection(r: Report): SafeHtml {
  const a = r.agreement?.withCi;
  const reviewers = r.review?.kappa;
  if (!a && !reviewers) return html``;
  const llm =
    a &&
    html`<p class="note">The LLM labelled the gold test sentences as it labels silver. Per label: Cohen's κ (chance-corrected agreement, scikit-learn's cohen_kappa_score), precision and recall with gold as the truth, each with a ${ciLevel(a.alpha)} cluster-bootstrap interval (${int(a.resamples)} resamples of notes). κ is undefined (—) when both sides are constant. The per-sentence labels are in eval/agreement.jsonl.</p>
${setTable('LLM labels', a.before)}${a.after && setTable(`after the self-check (${a.after.rejected} rejected left out)`, a.after)}`;
  const rev =
    reviewers &&
    html`<h3 style="font-size:14px;margin:14px 0 0">Reviewers against the LLM (κ)</h3><table class="num"><thead><tr><th>label</th><th>rows</th><th>κ</th></tr></thead><tbody>${Object.entries(
      reviewers,
    ).map(([l, x]) => html`<tr><th>${l}</th><td>${int(x.n)}</td><td>${f3(x.kappa)}</td></tr>`)}</tbody></table>`;
  return html`<section id="agreement-ci"><h2>Agreement with its uncertainty</h2>${llm}${rev}</section>`;
}
