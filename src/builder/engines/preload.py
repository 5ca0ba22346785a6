"""What the fork server imports before it forks the merge and finish steps' workers.

Each worker would otherwise import these on its first task: pyarrow's compute module
(its functions are generated at import, ~0.09 s), pyarrow's first conversion of Python
values, and the language model, which each merge worker read for its first card-only
article. Measured: a worker's first merge took 0.27 s more than the next ones. Forks of
the server inherit them for nothing.

The first conversion is made as the `builder` command makes it, without pandas (see
`spill.arrow_without_pandas`): pyarrow imported pandas there only to tell pandas objects
apart, and builder's workers are handed none. That import was ~0.15 s of the server's
start, which runs beside the parse at the start of a multi-worker build. No polars
here: its thread pool must not exist before a fork (see `local._CLEAN`).
"""

from __future__ import annotations

import pyarrow.compute

from builder.engines.spill import arrow_without_pandas
from builder.parse import language

arrow_without_pandas()  # the first conversion, made once here
language.warm()

__all__ = ["pyarrow"]
