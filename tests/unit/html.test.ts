// The one HTML escape (lib/run/html.ts) and its `html` tag, used by the report, the study report and the Label Studio config.
import { describe, expect, it } from 'vitest';
import { escapeHtml, html, joinHtml, trusted } from '../../lib/run/html.js';
import { renderStudyHtml, type StudyReport } from '../../lib/report/study.js';
import { labelStudioConfig } from '../../lib/review/label-studio.js';
import { caveats } from '../../lib/report/caveats.js';
import { renderReportHtml, type Report } from '../../lib/report/report.js';
import { initialProgress } from '../../lib/run/run-state.js';

const EVIL = '<script>alert("x")</script>';
const ESCAPED = '&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62;';

describe('html tag', () => {
  it('escapes every interpolated value, and only those', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&#60;a href=&#34;x&#34;&#62;&#39;&#38;&#39;&#60;/a&#62;');
    expect(html`<td class="x">${EVIL}</td>`.value).toBe(`<td class="x">${ESCAPED}</td>`);
    expect(html`<b>${42}</b>${0}`.value).toBe('<b>42</b>0');
  });

  it('keeps nested markup as it is, joins lists and drops null, undefined and false', () => {
    const cell = (s: string) => html`<td>${s}</td>`;
    expect(html`<tr>${['a', '<b>'].map(cell)}</tr>`.value).toBe('<tr><td>a</td><td>&#60;b&#62;</td></tr>');
    expect(html`${null}${undefined}${false}${(false as boolean) && html`<i>`}|`.value).toBe('|');
    expect(html`${trusted('<svg></svg>')}`.value).toBe('<svg></svg>');
    expect(joinHtml(['<a>', html`<b>`], html`<br>`).value).toBe('&#60;a&#62;<br><b>');
    expect(String(html`<p>${'&'}</p>`)).toBe('<p>&#38;</p>');
  });
});

/** A report with no evaluated mix worth a chart: enough for the header and its caveats. */
function bareReport(): Report {
  const p = initialProgress('run-x', '/tmp/run-x', 'x');
  const perLabel = { [EVIL]: { precision: 0, recall: 0, f1: 0, f1Sd: 0, support: 0 } };
  const stat = { mean: 0.5, sd: 0 };
  return {
    runId: 'run-x',
    experiment: EVIL,
    taxonomyVersion: 't@1',
    workflowId: 'wf',
    uiUrl: null,
    partial: false,
    mixes: {
      gold: { microF1: stat, macroF1: stat, perLabel, seeds: [1], trainedOn: [3], folds: 1, duplicatesDropped: 0 },
    },
    comparisons: {},
    curves: { synthetic: [], gold: [] },
    headline: [EVIL],
    evaluation: { baseline: 'gold', resamples: 10, alpha: 0.05, folds: 1 },
    llm: { ...p.llm, byStage: {} },
    datasets: { gold: 3, goldTest: 2 },
    selfCheck: [],
    composition: [],
    safety: null,
    stages: { ...p.stages, silver: { status: 'done', done: 1, total: 2, failedPages: 1 } },
    counts: {},
    generatedAt: '2026-01-01T00:00:00Z',
  };
}

describe('the report escapes what the model says', () => {
  it('caveats are plain text; the page escapes them like the headline', async () => {
    const r = bareReport();
    const texts = caveats(r);
    expect(texts.some((t) => t.includes(`(${EVIL})`))).toBe(true); // the label, as it is: data, not markup
    expect(texts.some((t) => t.includes('silver (1)'))).toBe(true);
    const page = await renderReportHtml(r);
    expect(page).not.toContain('<script');
    expect(page).toContain(`no gold test sentence (${ESCAPED})`);
    expect(page).toContain(`<li>${ESCAPED}</li>`); // the headline
    expect(page).toContain(`<b>${ESCAPED}</b>`); // the experiment name
  });
});

describe('the study report and the Label Studio config use the same escape', () => {
  it('escapes a study, variant and error that look like markup', async () => {
    const report: StudyReport = {
      study: EVIL,
      workflowId: 'wf',
      studyDir: '/tmp/s',
      keys: ['llm.model'],
      variants: [
        {
          id: 'v1',
          values: { 'llm.model': EVIL },
          runId: 'r',
          workflowId: 'w',
          runDir: '/tmp/r',
          status: 'failed',
          error: EVIL,
          mixes: {},
          comparisons: {},
          reportPath: null,
        },
      ],
      counts: { completed: 0, failed: 1, cancelled: 0, terminated: 0, 'timed out': 0, pending: 0, running: 0 },
      generatedAt: 'now',
    };
    const page = await renderStudyHtml(report);
    expect(page).not.toContain('<script');
    expect(page).toContain(`<h1>Study ${ESCAPED}</h1>`);
    expect(page).toContain(`<td>failed: ${ESCAPED}</td>`);
  });

  it('escapes a label name in the Label Studio config', () => {
    const config = labelStudioConfig({
      id: 'tax',
      version: '1',
      noneLabel: 'none',
      labels: [{ id: 'a', name: EVIL, definition: 'd & e' } as never],
    });
    expect(config).not.toContain('<script');
    expect(config).toContain('hint="d &#38; e"');
  });
});
