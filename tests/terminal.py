"""Run the real `builder` as a user would: behind pipes (a script, CI) or on a terminal.

A terminal is a pseudo-terminal from the `pty` module, with a fixed width, so what rich
does when it sees a terminal (colours, wrapping at the width) happens as it would for a
person; pipes are what a script sees (rich then wraps at 80 columns unless told not to).
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import struct
import subprocess
import sys
import termios
import time
from dataclasses import dataclass
from pathlib import Path

BUILDER = str(Path(sys.executable).with_name("builder"))
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|\r")


def env(**extra: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    return {**base, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TERM": "xterm", **extra}


@dataclass(frozen=True)
class Run:
    code: int
    stdout: str
    stderr: str  # on a terminal, stdout and stderr are one stream: this is empty

    def lines(self, text: str | None = None) -> list[str]:
        """Non-blank lines, without colour codes."""
        raw = self.stderr if text is None else text
        return [line for line in _ANSI.sub("", raw).split("\n") if line.strip()]


def piped(*args: str, cwd: Path | None = None, timeout: float = 300) -> Run:
    proc = subprocess.run(
        [BUILDER, *args],
        capture_output=True,
        text=True,
        env=env(),
        cwd=cwd,
        timeout=timeout,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    return Run(proc.returncode, proc.stdout, proc.stderr)


def on_terminal(
    *args: str, columns: int = 60, cwd: Path | None = None, timeout: float = 300
) -> Run:
    """`builder ARGS` with stdin, stdout and stderr on one pseudo-terminal `columns` wide."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))
    proc = subprocess.Popen(
        [BUILDER, *args],
        stdin=follower,
        stdout=follower,
        stderr=follower,
        env=env(),
        cwd=cwd,
        close_fds=True,
    )
    os.close(follower)
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([leader], [], [], 0.2)
        if ready:
            try:
                data = os.read(leader, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not data:
                break
            chunks.append(data)
        elif proc.poll() is not None:
            break
    os.close(leader)
    code = proc.wait(timeout=30)
    return Run(code, b"".join(chunks).decode("utf-8", "replace"), "")
