"""avex, the Avocado Exchange: a live exchange server for classroom trading tournaments."""

__version__ = "0.1.0"
