// Every patch id the workflows pass to patched(), in one list, each with when it may go.
//
// A patch may go (its old branch deleted, then the patched() call itself after a deprecatePatch() release) once no
// run started before the commit that added it can still be open — neither running nor waiting (a run waiting for a
// human review or paused can be open for weeks) — and no recorded history in tests/fixtures/histories needs its old
// branch. `clinsynth list` (or the Temporal UI: ExecutionStatus="Running") shows what is still open.
export const PATCHES = {
  /**
   * Pages that fail for good are recorded (failures/pages.jsonl) and fail the run past llm.maxFailedShare; older runs
   * only count them. Added e64e82b (2026-12-03). May go once no run started before 2026-12-03 is open.
   */
  llmOutage: 'llm-outage',
  /**
   * The window counts calls (pages start all their calls at once): pagesScheduled / pagesFillingSlots. Added cd7c2e5
   * (2026-12-01). Its old branch (legacyPageWindow) is replayed by tests/fixtures/histories (d382d68): it may go only
   * once those fixtures are re-recorded and no run started before 2026-12-01 is open.
   */
  llmCallWindow: 'llm-call-window',
  /**
   * Only read on the old branch of llmCallWindow (half a window of pages waiting). Added 55abf27 (2026-11-27). Goes
   * together with llmCallWindow's old branch.
   */
  llmPageBuffer: 'llm-page-buffer',
  /**
   * The page loop wakes on a steering Update as well as on a page's end (resume starts pages at once). Added bd78028
   * (2026-12-01). May go once no run started before 2026-12-01 is open and the fixtures are re-recorded.
   */
  llmSteering: 'llm-steering',
  /**
   * Bronze top-up rounds (bronze.topUpRounds). Added 1ca2409 (2026-11-27). May go once no run started before
   * 2026-11-27 is open and the fixtures (which predate it) are re-recorded.
   */
  bronzeTopUp: 'bronze-top-up',
  /**
   * A deterministic head (logreg) trains each mix once whatever train.seeds says. Added 203e0a1 (2026-12-03). May go
   * once no run started before 2026-12-03 is open and the fixtures are re-recorded.
   */
  deterministicHeadOnce: 'deterministic-head-once',
} as const;
