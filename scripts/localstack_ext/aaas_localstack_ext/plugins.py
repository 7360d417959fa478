"""Entry points registered in pyproject.toml. Kept import-light: LocalStack scans these at start-up,
so the heavy modules are imported only when a plugin is actually loaded."""

import logging

from localstack.runtime import hooks
from localstack.services.lambda_.invocation.plugins import RuntimeExecutorPlugin
from localstack.services.plugins import Service, aws_provider

from aaas_localstack_ext import DYNAMODB_PROVIDER_NAME, EXECUTOR_NAME, FIREHOSE_PROVIDER_NAME, PARITY_PROVIDER_NAME

LOG = logging.getLogger(__name__)


class ProcessRuntimeExecutorPlugin(RuntimeExecutorPlugin):
    name = EXECUTOR_NAME

    def load(self, *args, **kwargs):
        from aaas_localstack_ext.executor import ProcessRuntimeExecutor

        return ProcessRuntimeExecutor


@aws_provider(api="dynamodb", name=DYNAMODB_PROVIDER_NAME)
def dynamodb_moto() -> Service:
    from localstack.services.moto import MotoFallbackDispatcher

    from aaas_localstack_ext.dynamodb import MotoDynamoDBProvider

    LOG.info("aaas: DynamoDB provider %s (moto) loaded", DYNAMODB_PROVIDER_NAME)
    return Service.for_provider(MotoDynamoDBProvider(), dispatch_table_factory=MotoFallbackDispatcher)


@aws_provider(api="firehose", name=FIREHOSE_PROVIDER_NAME)
def firehose_aaas() -> Service:
    from aaas_localstack_ext.firehose import AwsLikeFirehoseProvider

    LOG.info("aaas: Firehose provider %s loaded", FIREHOSE_PROVIDER_NAME)
    return Service.for_provider(AwsLikeFirehoseProvider())


@aws_provider(api="cloudwatch", name=PARITY_PROVIDER_NAME)
def cloudwatch_aaas() -> Service:
    from aaas_localstack_ext.parity import TaggedAlarmsCloudwatchProvider

    return Service.for_provider(TaggedAlarmsCloudwatchProvider())


@aws_provider(api="lambda", name=PARITY_PROVIDER_NAME)
def lambda_aaas() -> Service:
    from aaas_localstack_ext.parity import KmsKeyLambdaProvider

    return Service.for_provider(KmsKeyLambdaProvider())


@hooks.on_infra_start()
def register_info_route() -> None:
    from aaas_localstack_ext.info import register

    register()


@hooks.on_infra_start()
def register_fault_route() -> None:
    from aaas_localstack_ext.faults import register

    register()


@hooks.on_infra_shutdown()
def cleanup_executor_state() -> None:
    from aaas_localstack_ext.executor import cleanup_state_dir

    cleanup_state_dir()
