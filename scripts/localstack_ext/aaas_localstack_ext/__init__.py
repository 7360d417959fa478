"""LocalStack plugins that let Audit as a Service run on LocalStack without Docker.

- ``aaas-process`` Lambda runtime executor (``LAMBDA_RUNTIME_EXECUTOR=aaas-process``)
- ``dynamodb:aaas_moto`` provider (``PROVIDER_OVERRIDE_DYNAMODB=aaas_moto``)
- ``firehose:aaas`` provider (``PROVIDER_OVERRIDE_FIREHOSE=aaas``)
- ``cloudwatch:aaas`` and ``lambda:aaas`` parity providers (``PROVIDER_OVERRIDE_CLOUDWATCH=aaas``,
  ``PROVIDER_OVERRIDE_LAMBDA=aaas``): keep alarm tags and function KMS keys, see parity.py
- ``GET /_aaas/info`` route, reporting which of them are active (used by scripts/local-up.sh)
- ``/_aaas/faults`` route, switching injected Firehose, DynamoDB and Lambda faults on and off for the
  reliability tests (faults.py; off by default)
"""

EXECUTOR_NAME = "aaas-process"
DYNAMODB_PROVIDER_NAME = "aaas_moto"
FIREHOSE_PROVIDER_NAME = "aaas"
PARITY_PROVIDER_NAME = "aaas"
