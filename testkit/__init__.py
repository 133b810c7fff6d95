"""Test tooling that is not a test, shared by the tests, ``make bench`` and ``make demo``.

- ``harness``: the rotator deployed in moto (the rendered state machine, the real handlers), made
  of the world (``world``: moto, its patches, the users and keys), the runner (``runner``), the
  consumer the tests give keys to (``consumer``) and the checks (``checks``); with
  ``authorization`` (every call decided against the planned policies, ``authz``) and
  ``throttle_faults`` (AWS's throttling, injected) and ``injector`` (crashes, stops and unknown
  handoffs, injected); ``engine_environment`` is its environment and
  ``asl_render`` renders the state machine template with Terraform.
- ``terraform``: Terraform, offline through the provider mirror; ``stack``: the module applied to
  LocalStack (the end-to-end tier and the demo).
- ``authz``: IAM's authorization, evaluated for calls made against moto.
"""
