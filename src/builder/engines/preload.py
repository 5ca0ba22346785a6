"""What the fork server imports before it forks the merge and finish steps' workers.

Each worker would otherwise import these on its first task: pyarrow's compute module
(its functions are generated at import, ~0.09 s) and pandas, which pyarrow imports at
its first conversion of Python values (~0.18 s). Measured: a worker's first merge took
0.27 s more than the next ones. Forks of the server inherit them for nothing, and the
language model, which each merge worker read for its first card-only article. No
polars here: its thread pool must not exist before a fork (see `local._CLEAN`).
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute

from builder.parse import language

pa.array([0])  # the first conversion: pyarrow imports pandas now, not in each worker
language.warm()

__all__ = ["pyarrow"]
