"""One dump -> its rows: the pure, per-dump stage, run in parallel and cached.

`layouts/` holds the page layouts as data and the segmenter that applies them;
`repair` mends texts, `times` resolves time texts, `language` detects languages, and
`extract` ties them together into one dump's `dumps` row and sightings.

Imports `records`, `timing` and `inputs` (decoding bytes to text); nothing downstream.
Whether its modules run compiled or as Python is settled when `builder` is imported
(`builder.compiled`).
"""
