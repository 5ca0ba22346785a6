"""builder: turn raw page dumps of news aggregators into a versioned article dataset.

The library is usable on its own; `builder.cli` is a thin layer on top of it.
"""

from importlib.metadata import PackageNotFoundError, version

from builder import compiled

# Compiled or as Python, never stale (see builder.compiled): before any compiled module
# (the inputs' readers, the parser, the batch step) is imported.
compiled.choose()

try:
    __version__ = version("builder")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"

#: Bumped whenever a change to layouts, segmenting, repairs or language detection can
#: change parsed rows. Part of every row's provenance and of the per-dump cache key.
#: 3: languages from fastText's lid.176 (was py3langid).
PARSER_VERSION = "3"

__all__ = ["PARSER_VERSION", "__version__"]
