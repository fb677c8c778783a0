-- The viewer over a run's datasets/merged.parquet when no clinsynth.duckdb is there (PHI-flagged rows excluded unless exported).
CREATE VIEW view_rows AS SELECT * FROM read_parquet({{parquetFile}});
