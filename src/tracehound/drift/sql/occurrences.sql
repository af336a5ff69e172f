-- drift_occurrences: every evidence row of every detection, in one shape.
SELECT * FROM drift_d1
UNION ALL SELECT * FROM drift_d2
UNION ALL SELECT * FROM drift_d3
UNION ALL SELECT * FROM drift_d4
UNION ALL SELECT * FROM drift_d5
UNION ALL SELECT * FROM drift_d6
