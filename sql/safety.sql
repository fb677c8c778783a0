-- Applies the safety flags computed by lib/dataset/merge.ts (PHI kinds, gold-test leakage, bronze near-duplicates) as
-- columns. Flagged silver/bronze rows stay, with usable = false; gold stays usable.
CREATE OR REPLACE TEMP TABLE safety_flags AS
SELECT * FROM read_json({{flagFiles}}, format = 'newline_delimited',
  columns = {source: 'VARCHAR', split: 'VARCHAR', id: 'VARCHAR', phiKinds: 'VARCHAR[]', leakOf: 'VARCHAR', nearDuplicateOf: 'VARCHAR'});

UPDATE gold SET phi_kinds = coalesce(f.phiKinds, [])
FROM safety_flags f WHERE f.source = 'gold' AND f.split = gold.split AND f.id = gold.id;

UPDATE silver SET phi_kinds = coalesce(f.phiKinds, []), leak_of = f.leakOf,
  usable = silver.usable AND len(coalesce(f.phiKinds, [])) = 0 AND f.leakOf IS NULL
FROM safety_flags f WHERE f.source = 'silver' AND f.id = silver.id;

UPDATE bronze SET phi_kinds = coalesce(f.phiKinds, []), leak_of = f.leakOf, near_duplicate_of = f.nearDuplicateOf,
  usable = bronze.usable AND len(coalesce(f.phiKinds, [])) = 0 AND f.leakOf IS NULL AND f.nearDuplicateOf IS NULL
FROM safety_flags f WHERE f.source = 'bronze' AND f.id = bronze.id;
