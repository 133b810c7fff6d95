"""moto's server, plus the one Step Functions call the AWS provider makes at plan time that moto
does not implement (ValidateStateMachineDefinition). It accepts every definition; asl-validator
checks the real one in this tier.

    python moto_for_plan.py -H 127.0.0.1 -p PORT
"""

from __future__ import annotations

import sys

from moto.core.responses import ActionResult
from moto.server import main
from moto.stepfunctions.responses import StepFunctionResponse


def _validate_state_machine_definition(self: StepFunctionResponse) -> ActionResult:
    return ActionResult({"result": "OK", "diagnostics": []})


StepFunctionResponse.validate_state_machine_definition = _validate_state_machine_definition  # type: ignore[attr-defined]

if __name__ == "__main__":
    main(sys.argv[1:])
