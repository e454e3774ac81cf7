"""One hash of several parts, used by every cache: each part is length-prefixed, so
("ab", "c") and ("a", "bc") never hash alike."""

from __future__ import annotations

import hashlib


def digest(*parts: bytes | str) -> str:
    """sha256 of the parts, each prefixed with its length."""
    h = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8") if isinstance(part, str) else part
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)
    return h.hexdigest()
