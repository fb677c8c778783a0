-- Facts for the dataset card, over the exported rows: rows per source/split, rows per label, and LLM provenance
-- (generation and self-check models with prompt versions). section says which; key/key2 hold the label or model/prompt.
WITH exported AS (
  SELECT * FROM merged WHERE {{includeFlagged}} OR source = 'gold' OR len(phi_kinds) = 0
)
SELECT 'rows' AS section, source, split, NULL AS key, NULL AS key2, count(*)::INTEGER AS n, count(*) FILTER (WHERE usable)::INTEGER AS usable
FROM exported GROUP BY ALL
UNION ALL
SELECT 'label', source, split, coalesce(label, 'none'), NULL, count(*)::INTEGER, count(*) FILTER (WHERE usable)::INTEGER
FROM (SELECT source, split, usable, unnest(CASE WHEN len(labels) = 0 THEN [NULL] ELSE labels END) AS label FROM exported)
GROUP BY ALL
UNION ALL
SELECT 'model', source, split, model, prompt_version, count(*)::INTEGER, count(*) FILTER (WHERE usable)::INTEGER
FROM exported WHERE model IS NOT NULL AND source <> 'reviewed' GROUP BY ALL
UNION ALL
SELECT 'model', 'selfcheck-' || "set", 'train', model, promptVersion, count(*)::INTEGER, count(*)::INTEGER
FROM verdicts WHERE model IS NOT NULL GROUP BY ALL
ORDER BY ALL;
