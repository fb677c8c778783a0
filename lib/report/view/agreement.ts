// The report's "LLM as annotator" section: the LLM's labels scored against gold on the same sentences.
import { html, type SafeHtml } from '../../run/html.js';
import { f3, int } from '../format.js';
import type { AgreementSummary, Report } from '../model.js';

export function agreementSection(r: Report): SafeHtml {
  const a = r.agreement;
  if (!a?.silver) return html``;
  const sets: [string, AgreementSummary][] = [['silver (LLM labels)', a.silver]];
  if (a.silverChecked) sets.push(['silver after self-check', a.silverChecked]);
  const hasExact = sets.some(([, s]) => typeof s.exactMatch === 'number');
  const summary = html`<table class="num"><thead><tr><th>LLM labels</th><th>sentences</th><th>micro-F1</th><th>macro-F1</th>${hasExact && html`<th>exact match</th>`}</tr></thead><tbody>${sets.map(
    ([name, s]) =>
      html`<tr><th>${name}</th><td>${int(s.n)}</td><td>${f3(s.microF1)}</td><td>${f3(s.macroF1)}</td>${hasExact && html`<td>${typeof s.exactMatch === 'number' ? f3(s.exactMatch) : '—'}</td>`}</tr>`,
  )}</tbody></table>`;
  const labels = [...new Set(sets.flatMap(([, s]) => Object.keys(s.perLabel ?? {})))];
  const cells = (s: AgreementSummary, l: string) => {
    const x = s.perLabel?.[l];
    return x
      ? html`<td>${f3(x.precision)}</td><td>${f3(x.recall)}</td><td><b>${f3(x.f1)}</b></td>`
      : html`<td>—</td><td>—</td><td>—</td>`;
  };
  const perLabel =
    labels.length > 0 &&
    html`<table class="num"><thead><tr><th rowspan="2">label</th>${sets.map(([name]) => html`<th colspan="3">${name}</th>`)}</tr><tr>${sets.map(() => html`<th>P</th><th>R</th><th>F1</th>`)}</tr></thead><tbody>${labels.map(
      (l) => html`<tr><th>${l}</th>${sets.map(([, s]) => cells(s, l))}</tr>`,
    )}</tbody></table>`;
  return html`<section id="agreement"><h2>LLM as annotator</h2>
<p class="note">The LLM's labels scored against human gold labels on the same sentences (the LLM as the predictor, gold as the truth).</p>
${summary}${perLabel}</section>`;
}
