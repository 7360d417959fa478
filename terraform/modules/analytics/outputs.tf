output "database_name" {
  description = "Glue database of the archive table."
  value       = aws_glue_catalog_database.this.name
}

output "table_name" {
  description = "Glue table over the archive (query it as \"<database>\".\"<table>\")."
  value       = aws_glue_catalog_table.this.name
}

output "workgroup_name" {
  description = "Athena workgroup to run the reports in."
  value       = aws_athena_workgroup.this.name
}

output "results_bucket_name" {
  description = "Bucket of the encrypted query results."
  value       = aws_s3_bucket.results.bucket
}

output "named_query_ids" {
  description = "Report name -> Athena named query id."
  value       = { for name, query in aws_athena_named_query.this : name => query.id }
}
