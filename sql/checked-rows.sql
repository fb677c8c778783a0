-- Silver and bronze rows after the self-check (labels with a fix applied, the verdict), rejected ones included: what
-- the review stage chooses from. Runs on the tables of sql/merge.sql, before any safety flag.
SELECT 'silver' AS "set", id, text, labels, verdict, rationale, verdict_rationale FROM silver
UNION ALL
SELECT 'bronze' AS "set", id, text, labels, verdict, rationale, verdict_rationale FROM bronze
ORDER BY "set" DESC, id;
