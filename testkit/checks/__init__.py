"""The checks: what the tests read and hold a run to.

- ``call_log``: every AWS call, by user, action and the function that made it.
- ``expected_calls``: the calls and invocations a run costs on its normal path.
- ``secret_watch``: every secret access key a test saw, to find any of them where none may be.
- ``recorded``: the runs as moto recorded them, held to AWS's limits and searched for secrets.
"""
