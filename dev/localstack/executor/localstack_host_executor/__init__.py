"""A LocalStack Lambda runtime executor that runs Python handlers without Docker.

LocalStack's only built-in executor starts each execution environment as a Docker container. This
package runs it as a subprocess on the host instead (`worker.py`), with the environment LocalStack
computes for the function, and is selected with ``LAMBDA_RUNTIME_EXECUTOR=host-python``.
"""
