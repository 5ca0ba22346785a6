"""What the `report` stage of a build costs: CPU seconds (not wall: the machine may be
busy) of `report.html` and `summary.png` for one release, and of `builder report`.

Each repeat runs in a fresh interpreter of the builder to measure (`--python`, a venv's
python, so two checkouts can be compared in one sitting): the libraries a build has
already loaded (pyarrow, polars, builder's pipeline) are imported first, then the
report's own import, reading and counting the tables, the HTML page and the PNG are
timed one by one, as the `report` stage of `builder make` does them. The minimum of the
repeats is printed, with the sizes of the two files.

    python benchmarks/report_speed.py DATASET/versions/1.0.0 --python .venv/bin/python
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

#: Run inside the measured interpreter: prints CPU seconds per step, and the sizes.
PROBE = """
import json, sys, time
from pathlib import Path
import pyarrow, pyarrow.parquet, polars, builder.build  # loaded by a build before its report
release, out = Path(sys.argv[1]), Path(sys.argv[2])
t = time.process_time()
from builder.report import page
times = {"import": time.process_time() - t}
t = time.process_time()
stats = page._read_stats(release)
times["read"] = time.process_time() - t
t = time.process_time()
html = page._render(release, None, stats)
times["html"] = time.process_time() - t
t = time.process_time()
png = page.summary_picture(stats)
times["png"] = time.process_time() - t
(out / "report.html").write_text(html, encoding="utf-8")
(out / "summary.png").write_bytes(png)
sizes = {"report.html": len(html.encode()), "summary.png": len(png)}
print(json.dumps({"cpu_s": times, "bytes": sizes}))
"""


def probe(python: str, release: Path, out: Path) -> dict[str, dict[str, float]]:
    done = subprocess.run(
        [python, "-c", PROBE, str(release), str(out)],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, dict[str, float]] = json.loads(done.stdout)
    return result


def cli_cpu(python: str, release: Path, out: Path) -> float:
    """CPU seconds (user + system) of `builder report RELEASE --out ...`, start to exit."""
    builder = Path(python).with_name("builder")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(
        [str(builder), "report", str(release), "--out", str(out / "cli.html")],
        capture_output=True,
        check=True,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("release", type=Path, help="a version folder (DATASET/versions/X.Y.Z)")
    parser.add_argument("--python", default=sys.executable, help="the builder venv's python")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="copy report.html and summary.png here")
    args = parser.parse_args(argv)
    runs, cli = [], []
    with tempfile.TemporaryDirectory(prefix="report-speed-") as tmp:
        out = Path(args.keep or tmp)
        out.mkdir(parents=True, exist_ok=True)
        for _ in range(args.repeat):
            runs.append(probe(args.python, args.release, out))
            cli.append(cli_cpu(args.python, args.release, out))
    steps = runs[0]["cpu_s"].keys()
    best = {step: min(run["cpu_s"][step] for run in runs) for step in steps}
    stage = min(sum(run["cpu_s"][s] for s in steps if s != "read") for run in runs)
    print(f"python: {args.python}")
    print("CPU s, min of", args.repeat, ":", ", ".join(f"{k} {v:.3f}" for k, v in best.items()))
    print(f"charts and page (import + html + png): {stage:.3f} s")
    print(f"builder report (whole command): {min(cli):.3f} s CPU")
    print("bytes:", ", ".join(f"{k} {v:,.0f}" for k, v in runs[0]["bytes"].items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
