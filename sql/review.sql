-- Applies human review after the safety checks: a reviewer's labels replace the LLM's on that silver/bronze row
-- (in every mix), and the row is copied as source 'reviewed' (origin: silver or bronze) for mixes such as
-- gold+reviewed. labels/usable before review are kept for the comparison with the LLM's labels. A reviewer can
-- rescue a row the self-check rejected, or drop one; safety flags (PHI, leakage, near-duplicate) still hold.
UPDATE gold SET labels_before_review = labels, usable_before_review = usable;
UPDATE silver SET labels_before_review = labels, usable_before_review = usable;
UPDATE bronze SET labels_before_review = labels, usable_before_review = usable;

UPDATE silver SET labels = list_sort(r.labels), reviewer = r.reviewer, reviewed_at = r.reviewedAt, review_reasons = r.reasons,
  usable = NOT r."drop" AND len(silver.phi_kinds) = 0 AND silver.leak_of IS NULL
FROM reviewed_raw r WHERE r."set" = 'silver' AND r.id = silver.id;

UPDATE bronze SET labels = list_sort(r.labels), reviewer = r.reviewer, reviewed_at = r.reviewedAt, review_reasons = r.reasons,
  usable = NOT r."drop" AND len(bronze.phi_kinds) = 0 AND bronze.leak_of IS NULL AND bronze.near_duplicate_of IS NULL
FROM reviewed_raw r WHERE r."set" = 'bronze' AND r.id = bronze.id;

CREATE OR REPLACE TABLE reviewed AS
SELECT * REPLACE ('reviewed' AS source, 'silver' AS origin) FROM silver WHERE reviewer IS NOT NULL
UNION ALL
SELECT * REPLACE ('reviewed' AS source, 'bronze' AS origin) FROM bronze WHERE reviewer IS NOT NULL;

CREATE OR REPLACE TABLE merged AS
SELECT * FROM gold UNION ALL SELECT * FROM silver UNION ALL SELECT * FROM bronze UNION ALL SELECT * FROM reviewed;
