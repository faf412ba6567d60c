"""Checks a data directory passes before SQLite opens it, so damage stops the start instead of losing data.

SQLite itself skips a WAL whose header or frames do not validate and opens an emptied main file as a
new database: both start the mock with less than it acknowledged, silently. So, before opening:

- the main file, if present, is non-empty and starts with the SQLite header;
- a non-empty WAL needs a non-empty main file beside it, and a valid header (magic, version, checksum);
- every frame of the WAL's current generation (its salts) passes its checksum, except a torn last frame
  that is not a commit frame: a write cut off there belonged to a transaction never acknowledged
  (``synchronous=FULL`` acknowledges only after the commit frame is on disk). A bad frame with more
  frames of its generation after it, or a bad final commit frame, cannot be told apart from damage to
  acknowledged data, so it is refused.

Frames from an older generation (other salts) are what a reused WAL file keeps past its end: normal.
"""

from __future__ import annotations

import struct
from pathlib import Path

SQLITE_HEADER = b"SQLite format 3\x00"
WAL_MAGIC_LE, WAL_MAGIC_BE = 0x377F0682, 0x377F0683
WAL_VERSION = 3007000
WAL_HEADER = 32
FRAME_HEADER = 24


class DataDirError(RuntimeError):
    """The data directory cannot be used; the message is one line and names the file."""


def _checksum(data: bytes, big_endian: bool, s0: int, s1: int) -> tuple[int, int]:
    words = iter(struct.unpack(f"{'>' if big_endian else '<'}{len(data) // 4}I", data))
    for x0, x1 in zip(words, words, strict=True):
        s0 = (s0 + x0 + s1) & 0xFFFFFFFF
        s1 = (s1 + x1 + s0) & 0xFFFFFFFF
    return s0, s1


def wal_problem(data: bytes) -> str | None:
    """Why this WAL content is damaged, or None if SQLite would replay all it acknowledged."""
    if len(data) < WAL_HEADER:
        return f"its header is cut short ({len(data)} bytes)"
    magic, version, page_size, _, salt1, salt2, c1, c2 = struct.unpack(">8I", data[:WAL_HEADER])
    if magic not in (WAL_MAGIC_LE, WAL_MAGIC_BE) or version != WAL_VERSION:
        return "it is not an SQLite write-ahead log (bad magic number or version)"
    big_endian = magic == WAL_MAGIC_BE
    if page_size < 512 or page_size > 65536 or page_size & (page_size - 1):
        return f"its header names an impossible page size ({page_size})"
    running = _checksum(data[:24], big_endian, 0, 0)
    if running != (c1, c2):
        return "its header checksum does not match"
    frame = FRAME_HEADER + page_size
    offset = WAL_HEADER
    while offset + frame <= len(data):
        page_no, commit, f_salt1, f_salt2, f_c1, f_c2 = struct.unpack(">6I", data[offset:offset + FRAME_HEADER])
        if (f_salt1, f_salt2) != (salt1, salt2):
            return None  # an older generation from here on: SQLite stops reading here too
        running = _checksum(data[offset:offset + 8], big_endian, *running)
        running = _checksum(data[offset + FRAME_HEADER:offset + frame], big_endian, *running)
        if running != (f_c1, f_c2):
            if _later_frame_of_generation(data, offset + frame, frame, salt1, salt2):
                return f"frame {(offset - WAL_HEADER) // frame} fails its checksum and more frames follow it"
            if commit:
                return (f"its last frame {(offset - WAL_HEADER) // frame} (a commit) fails its checksum: "
                        "an acknowledged write may be lost")
            return None  # a torn frame of a transaction that never committed
        if page_no == 0:
            return f"frame {(offset - WAL_HEADER) // frame} names page 0"
        offset += frame
    return None


def _later_frame_of_generation(data: bytes, offset: int, frame: int, salt1: int, salt2: int) -> bool:
    while offset + frame <= len(data):
        if struct.unpack(">2I", data[offset + 8:offset + 16]) == (salt1, salt2):
            return True
        offset += frame
    return False


def check_files(db: Path) -> None:
    """Raise DataDirError if the database or its WAL is damaged (see the module's rules)."""
    wal = db.with_name(db.name + "-wal")
    db_size = db.stat().st_size if db.exists() else None
    wal_size = wal.stat().st_size if wal.exists() else 0
    if db_size == 0:
        raise DataDirError(f"{db} is empty (an emptied or truncated database); refusing to start with "
                           "less data than was stored: restore it, or delete it to start afresh")
    if db_size is not None:
        with db.open("rb") as handle:
            if handle.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
                raise DataDirError(f"{db} is not an SQLite database (bad header); restore it, or move it "
                                   "away to start afresh")
    if wal_size:
        if db_size is None:
            raise DataDirError(f"{wal} holds {wal_size} bytes but its database {db} is missing; refusing to "
                               "start with less data than was stored")
        problem = wal_problem(wal.read_bytes())
        if problem is not None:
            raise DataDirError(f"{wal} is damaged: {problem}; refusing to start with less data than was "
                               "acknowledged (restore the data directory, or move the WAL away to accept "
                               "losing its writes)")
