// The report's "Prompts" section: the templates the run used (stage, name, content hash, where it came from).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readJson, RUN_FILES, type PromptUsed } from '../run/run-dir.js';
import { esc } from './html.js';

/** The templates listed in `<run>/prompts/prompts.json`; [] for runs made before prompts were templates. */
export function readPromptsUsed(runDir: string): PromptUsed[] {
  const file = join(runDir, RUN_FILES.promptsUsed);
  return existsSync(file) ? readJson<PromptUsed[]>(file) : [];
}

export function promptsSection(prompts: PromptUsed[] | undefined): string {
  if (!prompts?.length) return '';
  const rows = prompts
    .map(
      (p) =>
        `<tr><th>${esc(p.stage)}</th><td>${esc(p.name)}</td><td><code>${esc(p.hash)}</code></td><td>${esc(p.path)}</td></tr>`,
    )
    .join('');
  return `<section id="prompts"><h2>Prompts</h2>
<p class="muted">The templates that rendered the LLM requests; a copy of each is in the run folder's prompts/.</p>
<table><thead><tr><th>stage</th><th>template</th><th>hash</th><th>path</th></tr></thead><tbody>${rows}</tbody></table>
</section>`;
}
