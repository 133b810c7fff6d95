"""Where the test world stands: the hub's account and region, how moto is configured, and how
the harness's own clients tell themselves apart from the engine's."""

from __future__ import annotations

from botocore.config import Config

ACCOUNT = "123456789012"
REGION = "us-east-1"
MOTO_CONFIG = {
    "stepfunctions": {"execute_state_machine": True},
    "lambda": {"use_docker": False},
}
# The clients of the harness itself (setting up, checking, and the test consumer) say so in their
# user agent, so that injected faults can leave them alone.
HARNESS_AGENT = "rotator-test-harness"
HARNESS_CLIENTS = Config(user_agent_extra=HARNESS_AGENT)
