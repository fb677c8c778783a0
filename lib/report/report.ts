// The run report's entry point: writes report.json (the model, model.ts) and report.html (the view, view/page.ts).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readJson, RUN_FILES, writeFileAtomic, writeJson } from '../run/run-dir.js';
import { buildReport, type Report, type ReportInput } from './model.js';
import { renderReportHtml } from './view/page.js';

export * from './model.js';
export { caveats } from './caveats.js';
export { renderReportHtml } from './view/page.js';

/** Writes report.json and report.html; a rebuild without a UI base (`clinsynth report`) keeps the previous UI link. */
export async function writeReport(input: ReportInput): Promise<{ reportPath: string; htmlPath: string }> {
  const reportPath = join(input.runDir, RUN_FILES.report);
  const htmlPath = join(input.runDir, RUN_FILES.reportHtml);
  let uiUrl = input.uiUrl;
  if (!uiUrl && existsSync(reportPath)) {
    try {
      const previous = readJson<Partial<Report>>(reportPath);
      if (typeof previous.uiUrl === 'string' && previous.uiUrl) uiUrl = previous.uiUrl;
    } catch {
      // an unreadable previous report has no link to keep
    }
  }
  const report = buildReport({ ...input, ...(uiUrl ? { uiUrl } : {}) });
  writeJson(reportPath, report);
  writeFileAtomic(htmlPath, await renderReportHtml(report));
  return { reportPath, htmlPath };
}
