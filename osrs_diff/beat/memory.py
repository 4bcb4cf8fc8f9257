"""Memory: give the memory freed after a full load back to the operating system."""

from __future__ import annotations

import contextlib
import ctypes
import gc


def release_freed_memory() -> None:
    """Hand the memory freed after a full load (row chunks, query buffers) back to the OS.

    glibc keeps freed small blocks in its arenas, so a beat that once held 100,000 rows in flight
    would keep that high-water mark as resident memory for its whole life.
    """
    gc.collect()
    # Not glibc (macOS, musl): nothing to trim.
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)
