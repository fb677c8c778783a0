-- Every row's text and usability before the safety checks (PHI scan, test-set leakage, bronze near-duplicates).
SELECT source, split, id, coalesce(text, '') AS text, usable FROM gold
UNION ALL SELECT source, split, id, coalesce(text, '') AS text, usable FROM silver
UNION ALL SELECT source, split, id, coalesce(text, '') AS text, usable FROM bronze
ORDER BY source, split, id;
