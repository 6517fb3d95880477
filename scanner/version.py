"""The one place the version lives at run time (kept equal to pyproject's by a test)."""

__version__ = "0.1.0"
