"""``GET /_aaas/info``: tells scripts/local-up.sh (and humans) which executor and providers are live.

LocalStack silently falls back to its Docker executor and default providers when a configured
name is unknown, so a start-up check must look at what was really loaded, not at the settings.
"""

from localstack import config
from localstack.http import Request, Response
from localstack.services.edge import ROUTER
from localstack.services.plugins import SERVICE_PLUGINS

import aaas_localstack_ext as ext

OVERRIDDEN_SERVICES = ("dynamodb", "firehose", "cloudwatch", "lambda")


def _provider_module(service_name: str) -> str:
    # require() loads the service if it is still lazy, so this also proves the provider can start.
    service = SERVICE_PLUGINS.require(service_name)
    provider = getattr(service, "_provider", None)
    return type(provider).__module__ if provider is not None else ""


def info(request: Request) -> Response:
    from localstack.services.lambda_.invocation.runtime_executor import get_runtime_executor

    executor = get_runtime_executor()
    providers = {f"{name}_provider_module": _provider_module(name) for name in OVERRIDDEN_SERVICES}
    ours = ext.__name__ + "."
    body = {
        "lambda_runtime_executor": config.LAMBDA_RUNTIME_EXECUTOR,
        "lambda_executor_class": f"{executor.__module__}.{executor.__name__}",
        **providers,
        "ok": executor.__module__.startswith(ours) and all(module.startswith(ours) for module in providers.values()),
    }
    return Response.for_json(body)


def register() -> None:
    ROUTER.add("/_aaas/info", info, methods=["GET"])
