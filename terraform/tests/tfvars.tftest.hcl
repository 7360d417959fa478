# Plans the whole stack with whatever variables are given. scripts/terraform-checks.sh runs this file
# once more with -var-file=examples/production.tfvars and -var-file=environments/local.tfvars so
# both sample variable files stay valid.

mock_provider "aws" {
  override_during = plan
  source          = "./tests/mocks"
}

variables {
  package_dir = "tests/fixtures/packages"
}

run "plan_with_given_variables" {
  command = plan

  assert {
    condition     = output.archive_bucket_name == "${var.name_prefix}-archive-123456789012"
    error_message = "The archive bucket must be named after name_prefix and the account."
  }

  assert {
    condition     = output.function_names.ingestion == "${var.name_prefix}-ingestion" && output.delivery_stream_name == "${var.name_prefix}-events"
    error_message = "Resource names must derive from name_prefix."
  }

  assert {
    condition     = length(output.api_clients) == length(var.clients)
    error_message = "Every client must get an API key."
  }
}
