"""Freed memory handed back to the system between a build's stages.

CPython gives a freed object of more than 512 bytes (a file's bytes, a body, a page's HTML)
back to the C allocator, and glibc keeps the pages of freed chunks inside its heap: the
process's resident size does not go down, and the small objects the next stage makes come
from new pages (CPython's own arenas, which that space cannot serve). ``malloc_trim`` gives
those pages back (at 10,000 sheets, the parent's 607 MB while pages render became 529 MB).
Where there is no glibc it does nothing.
"""

from __future__ import annotations

import ctypes
from typing import Callable

_trim: Callable[[int], int] | None | bool = False  # False: not looked up yet; None: not available


def release() -> None:
    """Return the freed pages of the C heap to the system, where glibc can."""
    global _trim
    if _trim is False:
        try:
            _trim = ctypes.CDLL(None).malloc_trim
        except (AttributeError, OSError):
            _trim = None
    if _trim is not None:
        _trim(0)
