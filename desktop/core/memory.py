"""Giving freed memory back to the system (issue 13: a lighter client).

CPython frees objects into glibc's heap, which keeps the pages resident: parsing a font, building the main
window or decoding a large answer leaves megabytes behind that no later allocation needs. malloc_trim(0)
returns them. A no-op where the C library has no malloc_trim (musl, Windows, macOS)."""

from __future__ import annotations

import ctypes
import ctypes.util
import gc

_libc = None


def release_memory() -> None:
    """Collect garbage, then ask the C library to return free heap pages to the system."""
    global _libc
    gc.collect()
    if _libc is None:
        try:
            _libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        except OSError:
            _libc = False
    trim = getattr(_libc, "malloc_trim", None) if _libc else None
    if trim is not None:
        trim(0)
