"""Rotates IAM user access keys and hands each new key to a credentials handler.

The subpackages are layers, each importing only those below it: ``handlers`` (one entry point per
Task of the state machine: ``plan``, ``read_records``, ``rotate``, ``roll_back``,
``record_outcomes``, ``finish``), ``run`` (a run's data and the rules of its steps), ``aws`` (the
adapters), ``settings`` (configuration, logging, the clock) and ``model`` (decisions, records and
shapes, with no AWS SDK). ``docs/design.md`` describes how a rotation run uses them.
"""
