"""Releases on disk: write, name, compare, cache and check them.

Writing a version: `publish` (atomically, via `atomic`) with `parquet`, `manifest`,
`card`, `changelog` and `croissant`; `versions` names and finds versions; `diff`
compares releases; `check` runs the contract on the built tables before publishing;
`validate` checks a published release (`builder validate`); `cache` keeps per-dump
results between builds.

Imports the stages above it (`engines` for spilled tables, `contract`, `records`), never
`build`, `incremental` or `cli`.
"""
