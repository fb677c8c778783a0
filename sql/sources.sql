-- Stage outputs as typed views over their JSONL parts (one file list per source; an empty part list reads as no rows).
CREATE OR REPLACE VIEW gold_raw AS
SELECT id, text, labels, noteId AS note_id, split
FROM read_json({{goldFiles}}, format = 'newline_delimited', filename = false,
  columns = {id: 'VARCHAR', text: 'VARCHAR', labels: 'VARCHAR[]', noteId: 'VARCHAR', split: 'VARCHAR'});

CREATE OR REPLACE VIEW silver_raw AS
SELECT * FROM read_json({{silverFiles}}, format = 'newline_delimited',
  columns = {id: 'VARCHAR', noteId: 'VARCHAR', "start": 'INTEGER', "end": 'INTEGER', text: 'VARCHAR',
             labels: 'VARCHAR[]', reason: 'VARCHAR', model: 'VARCHAR', promptVersion: 'VARCHAR', cacheKey: 'VARCHAR',
             rationale: 'VARCHAR'});

-- Bronze ids are content hashes: two calls that wrote the same sentence give two rows with one id (see merge.sql).
CREATE OR REPLACE VIEW bronze_raw AS
SELECT * FROM read_json({{bronzeFiles}}, format = 'newline_delimited', filename = true,
  columns = {id: 'VARCHAR', text: 'VARCHAR', labels: 'VARCHAR[]', style: 'JSON',
             model: 'VARCHAR', promptVersion: 'VARCHAR', cacheKey: 'VARCHAR'});

CREATE OR REPLACE VIEW verdicts_raw AS
SELECT * FROM read_json({{verdictFiles}}, format = 'newline_delimited',
  columns = {id: 'VARCHAR', "set": 'VARCHAR', verdict: 'VARCHAR', labels: 'VARCHAR[]', reason: 'VARCHAR',
             model: 'VARCHAR', promptVersion: 'VARCHAR', cacheKey: 'VARCHAR', rationale: 'VARCHAR'});

-- Human decisions on silver/bronze rows (review/reviewed.jsonl, written by the review import).
CREATE OR REPLACE VIEW reviewed_raw AS
SELECT * FROM read_json({{reviewedFiles}}, format = 'newline_delimited',
  columns = {ref: 'VARCHAR', "set": 'VARCHAR', id: 'VARCHAR', labels: 'VARCHAR[]', "drop": 'BOOLEAN', llmLabels: 'VARCHAR[]',
             reasons: 'VARCHAR[]', reviewer: 'VARCHAR', reviewedAt: 'VARCHAR'});
