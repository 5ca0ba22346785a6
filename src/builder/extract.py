"""Deprecated alias: use `builder.parse.extract` instead.

Kept because earlier READMEs showed `from builder.extract import extract`.
"""

from builder.parse.extract import extract

__all__ = ["extract"]
