provider "aws" {
  region = var.region

  default_tags {
    tags = merge(
      {
        Application = "audit-as-a-service"
        ManagedBy   = "terraform"
        Stack       = var.name_prefix
      },
      var.tags,
    )
  }
}
