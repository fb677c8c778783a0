// The report's "Self-check verdicts" section: keep / fix / reject per checked set, as a chart and a table.
import { html, trusted, type SafeHtml } from '../../run/html.js';
import { orderVerdicts, verdictSvg } from '../charts/verdicts.js';
import { int, num, pct } from '../format.js';
import type { Report } from '../model.js';
import { orderSources } from '../theme.js';

async function verdicts(r: Report): Promise<SafeHtml> {
  const verdicts = orderVerdicts(r.selfCheck.map((v) => v.verdict));
  const sets = orderSources(r.selfCheck.map((v) => v.source));
  const n = (s: string, v: string) =>
    r.selfCheck.filter((x) => x.source === s && x.verdict === v).reduce((t, x) => t + num(x.n), 0);
  const rows = sets.map((s) => {
    const total = verdicts.reduce((t, v) => t + n(s, v), 0);
    return html`<tr><th>${s}</th>${verdicts.map((v) => html`<td>${int(n(s, v))} <span class="muted">(${pct(n(s, v), total)})</span></td>`)}<td><b>${int(total)}</b></td></tr>`;
  });
  const svg = trusted(await verdictSvg(r.selfCheck));
  return html`${svg}
<table class="num"><thead><tr><th>set</th>${verdicts.map((v) => html`<th>${v}</th>`)}<th>checked</th></tr></thead><tbody>${rows}</tbody></table>
<p class="note">keep: the LLM confirmed the row; fix: its labels were corrected; reject: left out of training.</p>`;
}

export async function selfCheckSection(r: Report): Promise<SafeHtml> {
  const body = r.selfCheck.length
    ? await verdicts(r)
    : html`<p class="muted">No self-check verdicts (the self-check was disabled or had nothing to check).</p>`;
  return html`<section id="selfcheck"><h2>Self-check verdicts</h2>
${body}
</section>`;
}
