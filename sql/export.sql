-- Exports one dataset table as Parquet and JSONL. Unless includeFlagged, silver/bronze rows with PHI findings are left
-- out (they stay in clinsynth.duckdb with their flags); gold rows are the user's and always exported.
COPY (SELECT * FROM query_table({{table}}) WHERE {{includeFlagged}} OR source = 'gold' OR len(phi_kinds) = 0 ORDER BY source, split, id)
  TO {{parquetFile}} (FORMAT parquet);
COPY (SELECT * FROM query_table({{table}}) WHERE {{includeFlagged}} OR source = 'gold' OR len(phi_kinds) = 0 ORDER BY source, split, id)
  TO {{jsonlFile}} (FORMAT json);
