"""Find and read inputs: the first stage, from command-line specs to raw dumps.

`walk` lists files, directories and globs in canonical order, and `skipped` says what
a walk did not take (other formats, builder dataset folders); `read` turns each input
into raw dumps, with `jsonl` (crawler exports, one dump per record) and `compressed`
(gzip under size and ratio limits); `files` says what an input is and how an unreadable
one still becomes a dump; `decode` turns a dump's bytes into text.

Imports only `records`.
"""
