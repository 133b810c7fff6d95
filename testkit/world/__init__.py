"""The test world: AWS as moto emulates it in this process, with the patches that bring moto's
answers (and its speed) closer to AWS's.

- ``setting``: the hub account and region, moto's configuration, and how the harness's own clients
  name themselves.
- ``accounts``: the users, keys and secrets a test sets up and reads back.
- ``patches``: one module per change to moto (or botocore), each naming what moto does, what AWS
  does, and the version it was checked against.
"""
