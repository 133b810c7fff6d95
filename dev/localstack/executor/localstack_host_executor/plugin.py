"""The plux plugin LocalStack finds in the `localstack.lambda.runtime_executor` namespace."""

from typing import Any

from localstack.services.lambda_.invocation.plugins import RuntimeExecutorPlugin


class HostPythonRuntimeExecutorPlugin(RuntimeExecutorPlugin):
    name = "host-python"

    def load(self, *args: Any, **kwargs: Any) -> type:
        # Imported on use, as LocalStack's own executor plugins do: loading it pulls in the
        # Lambda service.
        from localstack_host_executor.executor import HostPythonRuntimeExecutor  # noqa: PLC0415

        return HostPythonRuntimeExecutor
