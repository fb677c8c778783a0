-- Bronze rows that repeat a sentence an earlier page already wrote (merged into that row by merge.sql).
SELECT (count(*) - count(DISTINCT id))::INTEGER AS repeats FROM bronze_raw;
