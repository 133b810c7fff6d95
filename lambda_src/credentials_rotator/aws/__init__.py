"""Adapters, one per AWS service or concept: clients, throttling, access keys, accounts, the
user's secret and its versions, selection, verification, last use, notifications, metrics.
Imports ``settings`` and ``model``."""
