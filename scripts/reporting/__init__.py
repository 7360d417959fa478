"""Reports over the archive: one SQL source per report (reports/sql/), run by DuckDB locally and Athena on AWS."""
