"""What every ready-made credentials handler does, written once.

A handler of a target (GitHub Actions, GitLab CI/CD, ...) is a package that supplies a
``deliver`` function and its targets' parser to ``entry.entry_point``. This package does the rest:
it checks the rotator's event, reads the new key from the secret version it names, finds the
user's targets, calls the target's API with retries and back-off inside the invocation's time,
and turns the outcome into what the rotator understands (``entry``). No secret value ever reaches
a log record or an error message (``secrecy``).
"""
