"""Entry points: one module per Task of the state machine, each a thin ``handler``, and ``entry``,
what every one does first. The top layer: it may import every other."""
