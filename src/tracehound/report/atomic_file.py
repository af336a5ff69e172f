"""Output files written whole or not at all: bytes go to a temporary file beside the target,
which is flushed to disk and renamed over it when complete, and deleted on any error or on
SIGTERM (turned into an exception while a file is written). A target that exists and is not
a regular file (/dev/stdout, a pipe) is written directly. The case JSON, the per-row views
and the graph files are all written through `write_chunks`.
"""

from __future__ import annotations

import os
import signal
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterable, Iterator


class Interrupted(SystemExit):
    """SIGTERM while a file is written: unwinds like SystemExit, so the file is cleaned up."""


@contextmanager
def _sigterm_unwinds() -> Iterator[None]:
    """Turn SIGTERM into an exception while in here (main thread only), so cleanup runs."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame):
        raise Interrupted(128 + signum)
    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def write_chunks(path: Path, chunks: Iterable[bytes]) -> None:
    """Write `chunks` to `path` through a temporary file beside it, renamed when done."""
    path = Path(path)
    if path.exists() and not path.is_file():
        with open(path, "wb") as handle:
            for chunk in chunks:
                handle.write(chunk)
        return
    temporary = path.parent / f".{path.name}.tmp-{os.getpid()}"
    with _sigterm_unwinds():
        try:
            with open(temporary, "wb", buffering=1 << 20) as handle:
                for chunk in chunks:
                    handle.write(chunk)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, path)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
    _sync_folder(path.parent)


def _sync_folder(folder: Path) -> None:
    """Make the rename durable where the system allows opening a folder."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)
