"""Test tooling that is not a test: authorization checks against the module's planned policies."""
