"""Small AWS-parity fixes to stock LocalStack providers, so that `tflocal plan` after `apply` is clean.

- ``cloudwatch:aaas``: PutMetricAlarm keeps the request's Tags (stock LocalStack drops them, so the
  Terraform provider reads no tags back and plans to add them on every run).
- ``lambda:aaas``: CreateFunction/UpdateFunctionConfiguration keep KMSKeyArn and the read calls return
  it (stock LocalStack drops it, so every plan wants to set the key again).

Both only record what the caller sent; neither adds behaviour AWS does not have.
"""

from __future__ import annotations

from typing import Any

from localstack.aws.api import RequestContext
from localstack.services.cloudwatch.provider_v2 import CloudwatchProvider
from localstack.services.lambda_.provider import LambdaProvider


class TaggedAlarmsCloudwatchProvider(CloudwatchProvider):
    def put_metric_alarm(self, context: RequestContext, request: Any) -> None:
        super().put_metric_alarm(context, request)
        if request.get("Tags"):
            store = self.get_store(context.account_id, context.region)
            for arn, alarm in store.alarms.items():
                if alarm.alarm["AlarmName"] == request["AlarmName"]:
                    self.tag_resource(context, arn, request["Tags"])


class KmsKeyLambdaProvider(LambdaProvider):
    def __init__(self) -> None:
        super().__init__()
        # (account, region, function name) -> KMSKeyArn, as the caller set it.
        self._kms_keys: dict[tuple[str, str, str], str] = {}

    def _key(self, context: RequestContext, name: str) -> tuple[str, str, str]:
        return context.account_id, context.region, name.rsplit(":", 1)[-1] if name.startswith("arn:") else name

    def _with_key(self, context: RequestContext, configuration: dict[str, Any]) -> dict[str, Any]:
        kms_key = self._kms_keys.get(self._key(context, configuration.get("FunctionName", "")))
        if kms_key:
            configuration["KMSKeyArn"] = kms_key
        return configuration

    def _remember(self, context: RequestContext, name: str, request: Any) -> None:
        if "KMSKeyArn" in request:
            if request["KMSKeyArn"]:
                self._kms_keys[self._key(context, name)] = request["KMSKeyArn"]
            else:
                self._kms_keys.pop(self._key(context, name), None)

    def create_function(self, context: RequestContext, request: Any) -> Any:
        configuration = super().create_function(context, request)
        self._remember(context, configuration["FunctionName"], request)
        return self._with_key(context, configuration)

    def update_function_configuration(self, context: RequestContext, request: Any) -> Any:
        configuration = super().update_function_configuration(context, request)
        self._remember(context, configuration["FunctionName"], request)
        return self._with_key(context, configuration)

    def get_function(self, context: RequestContext, function_name: str, *args: Any, **kwargs: Any) -> Any:
        response = super().get_function(context, function_name, *args, **kwargs)
        self._with_key(context, response["Configuration"])
        return response

    def get_function_configuration(self, context: RequestContext, function_name: str, *args: Any, **kwargs: Any) -> Any:
        return self._with_key(context, super().get_function_configuration(context, function_name, *args, **kwargs))

    def list_functions(self, context: RequestContext, *args: Any, **kwargs: Any) -> Any:
        response = super().list_functions(context, *args, **kwargs)
        for configuration in response.get("Functions", []):
            self._with_key(context, configuration)
        return response

    def delete_function(self, context: RequestContext, function_name: str, *args: Any, **kwargs: Any) -> Any:
        response = super().delete_function(context, function_name, *args, **kwargs)
        if not kwargs.get("qualifier"):
            self._kms_keys.pop(self._key(context, function_name), None)
        return response
