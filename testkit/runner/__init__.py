"""The runner: what makes the rotator run in the test world.

- ``functions``: an invoke of a rotator function runs its real handler in this process, as the
  Lambda runtime would run it; ``invocation`` names the invocation running in a thread.
- ``executions``: the Terraform-rendered state machine, its runs, and what moto recorded of them
  (``progress`` wakes a wait when something happened; ``run_result`` is a run's end).
"""
