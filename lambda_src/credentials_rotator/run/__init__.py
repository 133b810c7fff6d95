"""A run's data and the rules of its steps: run data, the run guard, outcomes, events, strays,
deferrals, the in-use check, the facts rotate gathers. Imports ``aws``, ``settings``, ``model``."""
