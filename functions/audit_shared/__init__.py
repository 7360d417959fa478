"""Code shared by every Audit as a Service Lambda function.

Each function's zip carries a copy of this package, so it must stay free of third-party imports
beyond the function runtime dependencies (aws-lambda-powertools, fastjsonschema, boto3).
"""
