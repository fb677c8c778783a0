// The study report's entry point: writes study.json (the model, study-model.ts) and study.html (view/study-page.ts).
import { join } from 'node:path';
import { writeFileAtomic, writeJson } from '../run/run-dir.js';
import { buildStudyReport, STUDY_FILES, type StudyReportInput } from './study-model.js';
import { renderStudyHtml } from './view/study-page.js';

export * from './study-model.js';
export { numericKeys, renderStudyHtml } from './view/study-page.js';
export { studyF1Spec } from './charts/study-f1.js';

export async function writeStudyReport(input: StudyReportInput): Promise<{ jsonPath: string; htmlPath: string }> {
  const report = buildStudyReport(input);
  const jsonPath = join(input.studyDir, STUDY_FILES.json);
  const htmlPath = join(input.studyDir, STUDY_FILES.html);
  writeJson(jsonPath, report);
  writeFileAtomic(htmlPath, await renderStudyHtml(report));
  return { jsonPath, htmlPath };
}
