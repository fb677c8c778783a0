// The report's "Human review" section: what was chosen and why, reviewers against the LLM, and the effect on F1.
import { html, trusted, type SafeHtml } from '../../run/html.js';
import { forestPlotSvg } from '../charts/forest.js';
import { ciLevel, int, pct } from '../format.js';
import type { Report, ReportReview } from '../model.js';
import { comparisonCells, forestRows } from './comparison.js';

const REASON_TEXT: Record<string, string> = {
  'selfcheck-fix': 'the self-check fixed its labels',
  'selfcheck-reject': 'the self-check rejected it',
  disagreement: 'a classifier trained on gold disagrees with the LLM',
  'low-confidence': 'that classifier is unsure (a score near its threshold)',
};

function outcomeText(v: ReportReview): SafeHtml {
  if (v.outcome === 'imported')
    return html`<b>${int(v.reviewed)}</b> of ${int(v.tasks)} exported rows were reviewed by ${int(v.reviewers)} reviewer${v.reviewers === 1 ? '' : 's'}: ${int(v.changed)} relabelled, ${int(v.dropped)} dropped, ${int(v.reviewed - v.changed - v.dropped)} confirmed.${v.disagreements ? ` On ${int(v.disagreements)} task${v.disagreements === 1 ? '' : 's'} the reviewers disagreed: per label the majority counts, a tie going the LLM's way (each reviewer's labels are in review/reviewed.jsonl).` : ''} Their labels replace the LLM's in every mix; the rows are also the source <code>reviewed</code> (e.g. <code>gold+reviewed</code>).`;
  if (v.outcome === 'skipped')
    return html`${int(v.tasks)} rows were exported for review, and the review was skipped (<code>clinsynth review skip</code>): every mix trains on the LLM's labels.`;
  return html`${int(v.tasks)} rows were exported for review; no decision has been imported yet.`;
}

function byReason(v: ReportReview): SafeHtml {
  const reasons = Object.keys(v.byReason);
  if (!reasons.length) return html`<p class="muted">No row matched the review reasons.</p>`;
  const rows = reasons.map((k) => {
    const c = v.byReason[k]!;
    return html`<tr><th>${k}</th><td>${int(c.tasks)}</td><td>${int(c.reviewed)}</td><td>${int(c.changed)} <span class="muted">(${pct(c.changed, c.reviewed)})</span></td><td>${int(c.dropped)}</td><td class="l muted">${REASON_TEXT[k] ?? ''}</td></tr>`;
  });
  return html`<table class="num"><thead><tr><th>chosen because</th><th>rows</th><th>reviewed</th><th>relabelled</th><th>dropped</th><th class="l">meaning</th></tr></thead><tbody>${rows}</tbody></table><p class="note">A row may carry several reasons; ${int(v.selection?.candidates ?? 0)} silver and bronze rows were candidates, at most ${int(v.selection?.max ?? v.tasks)} exported.</p>`;
}

function reviewerAgreement(v: ReportReview): SafeHtml | false {
  const a = v.agreement;
  if (!a) return false;
  const rows = Object.entries(a.perLabel)
    .filter(([, x]) => x.llm + x.reviewer > 0)
    .map(
      ([l, x]) =>
        html`<tr><th>${l}</th><td>${int(x.llm)}</td><td>${int(x.reviewer)}</td><td>${int(x.both)}</td><td${x.agreement < 0.8 && html` class="warn"`}>${pct(x.agreement * a.n, a.n)}</td></tr>`,
    );
  return html`<h3 style="font-size:14px;margin:14px 0 0">Reviewers against the LLM</h3>
<p class="note">Over the ${int(a.n)} reviewed rows that were kept: the reviewer's label set equals the LLM's on <b>${pct(a.exactMatch * a.n, a.n)}</b> of them. Per label: rows the LLM gave it, rows the reviewer gave it, both, and the share of rows where the two made the same call.</p>
<table class="num"><thead><tr><th>label</th><th>LLM</th><th>reviewer</th><th>both</th><th>agreed</th></tr></thead><tbody>${rows}</tbody></table>`;
}

async function effect(r: Report, v: ReportReview): Promise<SafeHtml | false> {
  const mixes = Object.keys(v.effect);
  if (!mixes.length)
    return (
      v.outcome === 'imported' &&
      html`<p class="muted">No mix with synthetic rows was evaluated before and after the review.</p>`
    );
  const { alpha } = r.evaluation;
  const level = ciLevel(alpha);
  const svg = trusted(await forestPlotSvg(forestRows(v.effect, 'LLM labels'), { id: 'review-effect', alpha }));
  return html`<h3 style="font-size:14px;margin:14px 0 0">Effect on F1</h3>
<p class="note">Each mix trained on the reviewers' labels against the same mix trained on the LLM's (same seeds, same gold test sentences; paired cluster bootstrap, Holm across these mixes). An interval that crosses 0 means the data does not show that the review changed the result.</p>
${svg}
<details><summary>Numbers</summary><table class="num"><thead><tr><th>mix</th><th>Δ macro-F1 [${level} CI]</th><th>p</th><th>Holm p</th><th>Δ micro-F1 [${level} CI]</th></tr></thead><tbody>${mixes.map((m) => comparisonCells(m, v.effect[m]!, false))}</tbody></table></details>`;
}

export async function reviewSection(r: Report): Promise<SafeHtml> {
  const v = r.review;
  if (!v) return html``;
  return html`<section id="review"><h2>Human review</h2>
<p>${outcomeText(v)}</p>
${byReason(v)}${reviewerAgreement(v)}${await effect(r, v)}</section>`;
}
