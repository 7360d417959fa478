"""``dynamodb:aaas_moto``: DynamoDB served entirely by moto (shipped with LocalStack as moto-ext).

LocalStack's default DynamoDB provider forwards to DynamoDB Local, a Java server it downloads at
first use; that download is impossible offline. moto implements everything the Terraform AWS
provider calls for our table (GSIs, TTL, PITR, SSE with a CMK, tags, deletion protection).

Known difference: moto stores the TTL setting but never deletes expired items.
"""

from localstack.aws.api.dynamodb import DynamodbApi


class MotoDynamoDBProvider(DynamodbApi):
    """Empty on purpose: every operation raises NotImplementedError here, which
    MotoFallbackDispatcher (see plugins.py) turns into a call to moto."""
