-- One row of the viewer with every column (the detail view), by source and id.
SELECT source || ':' || id AS ref, * FROM view_rows WHERE source = {{source}} AND id = {{id}} LIMIT 1;
