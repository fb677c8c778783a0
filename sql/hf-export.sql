-- The Hugging Face splits of the export (datasets/hf/): one row per (config, split, row). `default` trains only on
-- usable train rows (gold train, silver, bronze; reviewed copies left out: their silver/bronze row already carries
-- the reviewer's labels) and tests on the gold test rows; per-source configs do the same for one source; `flagged`
-- holds the unusable rows (self-check rejects, leakage, near-duplicates; PHI-flagged ones only with includeFlagged).
-- style (JSON) is written as a string. Returns the rows per part.
CREATE OR REPLACE TEMP VIEW hf_export AS
WITH exported AS (
  SELECT * REPLACE (style::VARCHAR AS style) FROM merged
  WHERE {{includeFlagged}} OR source = 'gold' OR len(phi_kinds) = 0
)
SELECT 'default' AS hf_config, 'train' AS hf_split, * FROM exported
WHERE split = 'train' AND usable AND source <> 'reviewed'
UNION ALL
SELECT 'default', 'test', * FROM exported WHERE source = 'gold' AND split = 'test'
UNION ALL
SELECT source, split, * FROM exported WHERE source = 'gold' AND (split = 'test' OR usable)
UNION ALL
SELECT source, 'train', * FROM exported WHERE source IN ('silver', 'bronze', 'reviewed') AND usable
UNION ALL
SELECT 'flagged', 'flagged', * FROM exported WHERE NOT usable AND source <> 'reviewed';

SELECT hf_config AS config, hf_split AS split, count(*)::INTEGER AS n FROM hf_export GROUP BY ALL;
