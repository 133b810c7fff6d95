"""Rotates IAM user access keys and hands each new key to a credentials handler.

One package; each module with a ``handler`` is the entry point of one Lambda function of the state
machine (``plan``, ``read_records``, ``rotate``, ``roll_back``, ``record_outcomes``, ``finish``).
The model (``decision``, ``delivery_record``, ``shapes`` and the other modules a decision is made
of) imports no AWS SDK. ``docs/design.md`` describes how a rotation run uses them.
"""
