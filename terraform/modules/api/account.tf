# API Gateway writes access and execution logs with an account-wide (per region) role. Manage it
# here unless another stack already owns aws_api_gateway_account in this account and region.

locals {
  api_gateway_log_groups = ["API-Gateway-Execution-Logs_*", "/aws/apigateway/*"]
}

data "aws_iam_policy_document" "cloudwatch_assume_role" {
  count = var.manage_account_cloudwatch_role ? 1 : 0

  statement {
    sid     = "ApiGatewayAssumesRole"
    effect  = "Allow"
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["apigateway.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

resource "aws_iam_role" "cloudwatch" {
  count = var.manage_account_cloudwatch_role ? 1 : 0

  name                 = "${var.api_name}-apigateway-cloudwatch"
  description          = "Lets API Gateway write access and execution logs in this account and region"
  assume_role_policy   = data.aws_iam_policy_document.cloudwatch_assume_role[0].json
  permissions_boundary = var.role_permissions_boundary
  tags                 = var.tags
}

data "aws_iam_policy_document" "cloudwatch" {
  count = var.manage_account_cloudwatch_role ? 1 : 0

  # Write-only (no GetLogEvents/FilterLogEvents), and only to API Gateway's log groups: execution
  # logs (API-Gateway-Execution-Logs_<api id>/<stage>) and access logs under /aws/apigateway/.
  # The role is the account's (per region), so these name patterns cover every API here.
  statement {
    sid    = "WriteApiGatewayLogs"
    effect = "Allow"
    actions = [
      "logs:CreateLogGroup",
      "logs:CreateLogStream",
      "logs:DescribeLogStreams",
      "logs:PutLogEvents",
    ]
    resources = flatten([
      for group in local.api_gateway_log_groups : [
        "arn:${data.aws_partition.current.partition}:logs:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:log-group:${group}",
        "arn:${data.aws_partition.current.partition}:logs:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:log-group:${group}:log-stream:*",
      ]
    ])
  }

  statement {
    sid    = "DescribeLogGroups"
    effect = "Allow"
    # logs:DescribeLogGroups has no resource-level permissions; "*" is the only valid resource.
    actions   = ["logs:DescribeLogGroups"]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "cloudwatch" {
  count = var.manage_account_cloudwatch_role ? 1 : 0

  name   = "${var.api_name}-apigateway-cloudwatch"
  role   = aws_iam_role.cloudwatch[0].id
  policy = data.aws_iam_policy_document.cloudwatch[0].json
}

resource "aws_api_gateway_account" "this" {
  count = var.manage_account_cloudwatch_role ? 1 : 0

  cloudwatch_role_arn = aws_iam_role.cloudwatch[0].arn

  depends_on = [aws_iam_role_policy.cloudwatch]
}
