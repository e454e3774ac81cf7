"""Inline citations in a body: ``[@source-id]`` and ``[@source-id "a verbatim quote"]``.

Found as the body is read, with their positions, and outside code only: a
citation Markdown shows as code is an example, not a claim to check.
"""

from __future__ import annotations

import hashlib
import re

from ..model import Pos, Sheet

# [@source-id] or [@source-id "a verbatim quote"] (straight or curly quotes).
INLINE_CITE_RE = re.compile(r"\[@([^\s\]\"“]*)(?:\s+[\"“]([^\"”\n]*)[\"”])?\s*\]")
_FENCE_RE = re.compile(r"^(\s*)(```|~~~)")
_CODE_SPAN_RE = re.compile(r"(`+)(.+?)\1")
_LIST_ITEM_RE = re.compile(r"^ {0,3}(?:[-*+]|\d{1,9}[.)])(?:[ \t]|$)")


def _code_lines(lines: list[str]) -> set[int]:
    """Indexes of the lines Markdown renders as code: fenced blocks, and indented
    blocks (4 columns, 8 inside a list) that follow a blank line or a heading.
    An indented line that continues a paragraph or a list item is prose, and
    its citations must be checked like any other."""
    code: set[int] = set()
    in_fence, in_list, prev = None, False, "blank"
    for index, line in enumerate(lines):
        fence = _FENCE_RE.match(line)
        if fence or in_fence:
            code.add(index)
            if fence:
                in_fence = None if in_fence == fence.group(2) else in_fence or fence.group(2)
            prev = "code"
            continue
        if not line.strip():
            prev = "code" if prev == "code" else "blank"
            continue
        indent = len(line.expandtabs(4)) - len(line.expandtabs(4).lstrip(" "))
        if prev in ("blank", "heading", "code") and indent >= (8 if in_list else 4):
            code.add(index)
            prev = "code"
            continue
        if _LIST_ITEM_RE.match(line):
            in_list = True
        elif indent == 0 and prev in ("blank", "code"):
            in_list = False
        prev = "heading" if line.startswith("#") else "text"
    return code


def inline_citations(sheet: Sheet) -> list[tuple[str, str | None, Pos]]:
    """The [@id "quote"] citations of a body with their positions, code excluded."""
    found = []
    lines = sheet.body.split("\n")
    code = _code_lines(lines)
    for offset, line in enumerate(lines):
        if offset in code:
            continue
        line = _CODE_SPAN_RE.sub(lambda m: " " * len(m.group(0)), line)
        for match in INLINE_CITE_RE.finditer(line):
            pos = Pos(sheet.path, sheet.body_line + offset, match.start() + 1)
            found.append((match.group(1), match.group(2), pos))
    return found


def citation_key(sheet: Sheet) -> tuple:
    """What a sheet's inline citations are remembered by: its record's digest (its body's file)."""
    return (sheet.path, sheet.digest or hashlib.sha256(f"{sheet.body_line}\n{sheet.body}".encode()).hexdigest())
