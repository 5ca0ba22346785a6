"""Files that appear whole or not at all: what lets a killed build leave no half version
and lets the next build tidy up after it."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

from builder.release.versions import TMP_PREFIX


def sha256_and_sync(path: Path) -> tuple[str, int]:
    """Hash the bytes as written and flush them, so the rename publishes durable files."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while block := handle.read(1024 * 1024):
            digest.update(block)
            size += len(block)
        os.fsync(handle.fileno())
    return digest.hexdigest(), size


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def remove_stale_temporaries(dataset_dir: Path) -> None:
    """Leftovers of killed runs go; a concurrent publish's live directory stays."""
    for path in dataset_dir.glob(f"{TMP_PREFIX}*"):
        pid_text = path.name.rsplit("-", 1)[-1]
        if pid_text.isdigit() and int(pid_text) != os.getpid() and _pid_alive(int(pid_text)):
            continue
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def replace_text(path: Path, text: str) -> None:
    """Readers see the old file or the new one, never a truncated one."""
    temporary = path.parent / f"{TMP_PREFIX}{path.name}-{os.getpid()}"
    with temporary.open("w", encoding="utf-8", newline="\n") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    fsync_dir(path.parent)


def write_text(path: Path, text: str) -> None:
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
