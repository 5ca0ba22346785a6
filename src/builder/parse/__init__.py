"""One dump -> its rows: the pure, per-dump stage, run in parallel and cached.

`layouts/` holds the page layouts as data and the segmenter that applies them;
`repair` mends texts, `times` resolves time texts, `language` detects languages, and
`extract` ties them together into one dump's `dumps` row and sightings.

Imports `records`, `timing`, `compiled` (whether its modules run compiled) and `inputs`
(decoding bytes to text); nothing downstream.
"""

from builder import compiled

# Compiled or as Python, never stale (see builder.compiled): before any module of the
# parser is imported.
compiled.choose()
