"""What a person sees of a release: one self-contained HTML report and a summary picture.

Sits above `release`: it reads published (or about-to-be-published) version folders
through `release`'s readers and renders, never writes tables. `builder make` writes
`report.html` and `summary.png` into each new version (the card shows the picture);
`builder report DIR[@X.Y.Z]` renders the report of any version again.
"""

from builder.report.page import ReportError, render_report, write_report, write_version_files
from builder.report.stats import ReleaseStats, release_stats

__all__ = [
    "ReleaseStats",
    "ReportError",
    "release_stats",
    "render_report",
    "write_report",
    "write_version_files",
]
