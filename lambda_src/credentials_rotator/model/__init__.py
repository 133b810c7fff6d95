"""The model: decisions, key plans, delivery records, shapes, summaries, errors. Pure: it imports
the standard library only, no AWS SDK (tests/unit/test_layers.py)."""
