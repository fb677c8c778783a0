// The report's "Stages" section: each stage's status, pages or tasks done and failed pages, and all run counts.
import { html, type SafeHtml } from '../../run/html.js';
import { int } from '../format.js';
import type { Report } from '../model.js';

export function stagesSection(r: Report): SafeHtml {
  const rows = Object.entries(r.stages).map(
    ([s, p]) =>
      html`<tr><th>${s}</th><td class="l"><span class="badge ${p.status}">${p.status}</span>${s === 'report' && p.status === 'running' && html` <span class="muted">(this report)</span>`}</td><td>${p.total ? `${int(p.done)} / ${int(p.total)}` : '—'}</td><td${p.failedPages > 0 && html` class="warn"`}>${int(p.failedPages)}</td></tr>`,
  );
  const counts = Object.entries(r.counts).map(([k, v]) => html`<tr><th>${k}</th><td>${int(v)}</td></tr>`);
  return html`<section id="stages"><h2>Stages</h2>
<table class="num"><thead><tr><th>stage</th><th class="l">status</th><th>pages / tasks</th><th>failed pages</th></tr></thead><tbody>${rows}</tbody></table>
<details><summary>All run counts</summary><table class="num"><tbody>${counts}</tbody></table></details>
</section>`;
}
