// The report's "Prompts" section: the templates the run used (stage, name, content hash, where it came from).
import { html, type SafeHtml } from '../../run/html.js';
import type { Report } from '../model.js';

export function promptsSection(r: Report): SafeHtml {
  const prompts = r.prompts;
  if (!prompts?.length) return html``;
  const rows = prompts.map(
    (p) => html`<tr><th>${p.stage}</th><td>${p.name}</td><td><code>${p.hash}</code></td><td>${p.path}</td></tr>`,
  );
  return html`<section id="prompts"><h2>Prompts</h2>
<p class="muted">The templates that rendered the LLM requests; a copy of each is in the run folder's prompts/.</p>
<table><thead><tr><th>stage</th><th>template</th><th>hash</th><th>path</th></tr></thead><tbody>${rows}</tbody></table>
</section>`;
}
