"""One server per data directory: an exclusive ``flock`` on a lock file beside the database.

The kernel drops the lock when its file is closed, which also happens when the process dies (even by
SIGKILL), so a crash never leaves a stale lock behind. ``flock`` locks belong to one open file, so a
second server in the same process is refused too.
"""

from __future__ import annotations

import fcntl
import os
import weakref
from pathlib import Path

from .integrity import DataDirError

LOCK_NAME = "equos-mock.lock"


class DataDirLock:
    def __init__(self, directory: Path):
        self.path = directory / LOCK_NAME
        try:
            self._fd: int | None = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise DataDirError(f"{self.path} cannot be created: {exc.strerror}") from None
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self._fd)
            self._fd = None
            raise DataDirError(f"{directory} is in use by another equos-mock server (it holds {self.path}); "
                               "stop that one or use another --data-dir") from None
        os.ftruncate(self._fd, 0)
        os.write(self._fd, f"{os.getpid()}\n".encode())
        # An app dropped without close() (a test's) still lets the directory go once collected.
        self._release = weakref.finalize(self, os.close, self._fd)

    def release(self) -> None:
        if self._fd is not None:
            self._release()  # closing drops the flock
            self._fd = None
