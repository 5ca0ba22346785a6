"""Deprecated alias: use `builder.inputs.read` (and `builder.inputs.walk`) instead.

Kept because earlier READMEs showed `from builder.sources import read_dumps`.
"""

from builder.inputs.files import DEFAULT_MAX_BYTES, InputError, InputFile
from builder.inputs.read import iter_dumps, read_dumps
from builder.inputs.walk import find_inputs

__all__ = [
    "DEFAULT_MAX_BYTES",
    "InputError",
    "InputFile",
    "find_inputs",
    "iter_dumps",
    "read_dumps",
]
