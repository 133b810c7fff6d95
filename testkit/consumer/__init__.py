"""The consumer: the stand-in credentials handler the tests give keys to.

- ``handler``: what the state machine's handoff invokes; it reads the secret, stores the key or
  refuses it as the test says, and records each delivery.
- ``key_use``: the consumer's use of its keys in AWS, which the engine reads back as a key's last
  use (the one it moved to, or the previous one when it has not moved).
"""
