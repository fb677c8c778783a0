-- A row of the viewer by bare id (the first source that has it), for GET /api/rows/:id without a source prefix.
SELECT source || ':' || id AS ref, * FROM view_rows WHERE id = {{id}} ORDER BY source LIMIT 1;
