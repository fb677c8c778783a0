-- The viewer reads a run's datasets/clinsynth.duckdb in place (read-only, nothing copied): every row with its flags.
ATTACH {{dbFile}} AS run (READ_ONLY);
CREATE VIEW view_rows AS SELECT * FROM run.merged;
