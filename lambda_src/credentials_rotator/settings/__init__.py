"""The settings document read into ``Config``, logging and the one clock. Imports ``model``."""
