"""Headless Chromium for the report tests: open a page as a person would, and record
what it asked the network for and what it logged, through the DevTools protocol.

Chromium talks the protocol over a pipe (`--remote-debugging-pipe`: commands on fd 3,
answers on fd 4, each message JSON ended by a NUL byte), so no port is opened and only
the page's own requests are seen (not the browser's background traffic).
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

#: Flags of every run: no sandbox (CI runs as root), no GPU, nothing fetched on startup.
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)
INSTALL_HINT = "install Debian's chromium package (apt-get install -y chromium); .ci/run does"


def chromium() -> str:
    """The browser's path; skips the test, saying how to install it, when there is none."""
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    pytest.skip(f"headless Chromium is not installed: {INSTALL_HINT}")


def run(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """One Chromium run with a fresh profile (`--dump-dom`, `--screenshot=...`)."""
    with tempfile.TemporaryDirectory(prefix="chromium-") as profile:
        return subprocess.run(
            [chromium(), *FLAGS, f"--user-data-dir={profile}", *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )


@dataclass
class PageVisit:
    """What a page did while it loaded: its requests, its errors, values it computed."""

    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict)
    screenshot: bytes = b""


class _Pipe:
    def __init__(self, command: list[str]) -> None:
        to_chrome_r, self._to_chrome = os.pipe()
        self._from_chrome, from_chrome_w = os.pipe()

        def wire() -> None:  # in the child: the protocol's fds are 3 and 4
            os.dup2(to_chrome_r, 3)
            os.dup2(from_chrome_w, 4)

        self.process = subprocess.Popen(
            command,
            preexec_fn=wire,
            pass_fds=(3, 4),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self._buffer = b""
        self._next = 0
        self.events: list[dict[str, Any]] = []

    def send(self, method: str, params: dict[str, Any] | None = None, session: str = "") -> Any:
        self._next += 1
        message: dict[str, Any] = {"id": self._next, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_chrome, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._read()
            if reply.get("id") == self._next:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, method: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not any(e.get("method") == method for e in self.events):
            if time.monotonic() > deadline:
                raise TimeoutError(f"no {method} within {timeout} s")
            self.events.append(self._read())

    def _read(self) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            chunk = os.read(self._from_chrome, 1 << 16)
            if not chunk:
                raise RuntimeError("chromium closed the protocol pipe")
            self._buffer += chunk
        message, _, self._buffer = self._buffer.partition(b"\0")
        loaded: dict[str, Any] = json.loads(message)
        return loaded

    def close(self) -> None:
        with contextlib.suppress(RuntimeError, OSError):
            self.send("Browser.close")
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self._to_chrome)
        os.close(self._from_chrome)


def visit(url: str, expressions: dict[str, str] | None = None, *, width: int = 1280) -> PageVisit:
    """Load `url`, wait for its load event, evaluate `expressions` (name -> JavaScript
    returning JSON-able values), take a full-page screenshot; record every network
    request the page made and every error it logged or threw."""
    with tempfile.TemporaryDirectory(prefix="chromium-") as profile:
        pipe = _Pipe([chromium(), *FLAGS, f"--user-data-dir={profile}", "--remote-debugging-pipe"])
        try:
            target = pipe.send("Target.createTarget", {"url": "about:blank"})["targetId"]
            session = pipe.send("Target.attachToTarget", {"targetId": target, "flatten": True})[
                "sessionId"
            ]
            for domain in ("Page", "Network", "Runtime", "Log"):
                pipe.send(f"{domain}.enable", session=session)
            pipe.send(
                "Emulation.setDeviceMetricsOverride",
                {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": False},
                session=session,
            )
            pipe.events.clear()
            pipe.send("Page.navigate", {"url": url}, session=session)
            pipe.wait_for("Page.loadEventFired")
            result = PageVisit()
            for name, expression in (expressions or {}).items():
                evaluated = pipe.send(
                    "Runtime.evaluate",
                    {"expression": expression, "returnByValue": True},
                    session=session,
                )
                result.values[name] = evaluated.get("result", {}).get("value")
            shot = pipe.send(
                "Page.captureScreenshot",
                {"format": "png", "captureBeyondViewport": True},
                session=session,
            )
            result.screenshot = base64.b64decode(shot["data"])
            for event in pipe.events:
                method, params = event.get("method"), event.get("params", {})
                if method == "Network.requestWillBeSent":
                    result.requests.append(params["request"]["url"])
                elif method == "Runtime.exceptionThrown":
                    result.errors.append(json.dumps(params["exceptionDetails"])[:300])
                elif method == "Runtime.consoleAPICalled" and params.get("type") == "error":
                    result.errors.append(json.dumps(params.get("args"))[:300])
                elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
                    result.errors.append(params["entry"].get("text", "")[:300])
            return result
        finally:
            pipe.close()


def save(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path
