"""Rotates IAM user access keys and hands each new key to a credentials handler.

One package, four Lambda entry points: ``plan``, ``rotate``, ``roll_back`` and ``finish``.
``docs/design.md`` describes how a rotation run uses them.
"""
