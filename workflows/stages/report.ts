// Stage report: report.json and report.html, with a link back to this run in the Web UI.
import { workflowInfo } from '@temporalio/workflow';
import { run } from '../activities.js';
import type { StageContext, StageOutcome } from './stage.js';

export async function report({ input, p, runDir }: StageContext): Promise<StageOutcome> {
  const { workflowId, namespace } = workflowInfo();
  const uiUrl = input.uiBase
    ? `${input.uiBase}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}`
    : undefined;
  await run.writeReport.executeWithOptions({ summary: 'write report.json and report.html' }, [
    { runDir, progress: p, workflowId, ...(uiUrl ? { uiUrl } : {}) },
  ]);
  return 'done';
}
