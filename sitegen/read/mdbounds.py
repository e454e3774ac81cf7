"""Bounds on Markdown bodies: what Python-Markdown would take minutes over, or crash on.

The loader refuses such a body with its line and column before anything is
converted; the limits are far above what an editor writes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# --- bounds on what Python-Markdown is given -----------------------------------------
# Measured (SECURITY.md): lists nested ~250 deep overflow Python's stack; every '[' that is
# never closed makes several patterns scan to the end of its paragraph (10,000 '![' in one
# 20 kB paragraph: 47 s); each inline construct re-copies its whole paragraph; a footnote
# referenced n times costs n squared. Real pages stay far below every bound.
MAX_MARKDOWN_CHARS = 100_000   # one sheet or page body
MAX_NESTING = 20               # lists and block quotes inside one another
MAX_PARAGRAPH_CHARS = 20_000   # one paragraph, list item or table row
MAX_BRACKET_SCAN = 1_000_000   # characters scanned to match every '[' with its ']', per body
MAX_FOOTNOTE_REFS = 500        # [^label] references per body

_MARKER = re.compile(r">|[-*+](?=[ \t]|$)|\d{1,9}[.)](?=[ \t]|$)")
_BRACKETS = re.compile(r"[\[\]\\]")
_FOOTNOTE_REF = re.compile(r"\[\^[^\]\n]*\](?!:)")


@dataclass(frozen=True)
class MarkdownProblem:
    """Why a body is refused; ``line`` and ``col`` are 1-based within the body."""

    line: int
    col: int
    message: str
    hint: str


def check_markdown(text: str) -> MarkdownProblem | None:
    """The first bound a body breaks, found in linear time; None when it may be rendered."""
    if len(text) > MAX_MARKDOWN_CHARS:
        return MarkdownProblem(1, 1, f"the Markdown text has {len(text):,} characters, more than the "
                                     f"{MAX_MARKDOWN_CHARS:,} sitegen renders in one page",
                               "split it into several sheets or pages")
    lines = text.split("\n")
    problem = _nesting_problem(lines)
    if problem:
        return problem
    runs = _runs(lines)
    for run in runs:
        size = sum(len(part) for _, _, part in run) + len(run) - 1
        if size > MAX_PARAGRAPH_CHARS:
            return MarkdownProblem(run[0][0] + 1, run[0][1] + 1, f"this paragraph has {size:,} characters, more "
                                   f"than the {MAX_PARAGRAPH_CHARS:,} sitegen renders in one paragraph",
                                   "break it into shorter paragraphs with blank lines")
    problem = _bracket_problem(runs)
    if problem:
        return problem
    refs = list(_FOOTNOTE_REF.finditer(text))
    if len(refs) > MAX_FOOTNOTE_REFS:
        at = refs[MAX_FOOTNOTE_REFS].start()
        return MarkdownProblem(text.count("\n", 0, at) + 1, at - text.rfind("\n", 0, at),
                               f"{len(refs):,} footnote references, more than the {MAX_FOOTNOTE_REFS} "
                               "sitegen renders in one page",
                               "cite sources with [@source-id] instead, or split the page")
    return None


def _is_rule(stripped: str) -> bool:
    """'* * *', '---' and the like: a horizontal rule, not a list."""
    return len(stripped) >= 3 and any(set(stripped) <= {mark, " "} for mark in "*-_")


def _nesting_problem(lines: list[str]) -> MarkdownProblem | None:
    for index, raw in enumerate(lines):
        line = raw.expandtabs(4)
        if _is_rule(line.strip()):
            continue
        depth, pos, column = 0, 0, 0
        while True:
            start = pos
            while pos < len(line) and line[pos] == " ":
                pos += 1
            marker = _MARKER.match(line, pos) if pos < len(line) else None
            depth += (pos - start) // 4 + (marker is not None)
            if depth > MAX_NESTING and not column:
                column = pos + 1
            if marker is None:
                break
            pos = marker.end()
        if column:
            return MarkdownProblem(index + 1, column, f"lists or block quotes nested {depth:,} levels deep, more "
                                                      f"than the {MAX_NESTING} sitegen renders",
                                   "flatten the structure; Markdown fails on very deep nesting")
    return None


def _inner(line: str) -> str:
    """A line without its block-quote markers and indentation: what decides its block."""
    return line.lstrip(" \t>")


def _runs(lines: list[str]) -> list[list[tuple[int, int, str]]]:
    """Stretches of text Markdown handles as one inline unit: paragraphs, list items, table rows.

    Each is a list of (line index, column offset, text). Erring on the long side
    is safe: a stretch is only split where Markdown always splits it.
    """
    runs, block = [], []
    for index, line in enumerate(lines + [""]):
        inner = _inner(line)
        if inner.strip():
            block.append((index, len(line) - len(inner), inner))
            continue
        if block:
            first = block[0][2]
            table = len(block) > 1 and "-" in block[1][2] and set(block[1][2].strip()) <= set("|:- ")
            listed = _MARKER.match(first) is not None
            run: list[tuple[int, int, str]] = []
            for item in block:
                if run and (table or (listed and _MARKER.match(item[2]))):
                    runs.append(run)
                    run = []
                run.append(item)
            runs.append(run)
            block = []
    return runs


def _bracket_problem(runs) -> MarkdownProblem | None:
    """Sum, over every '[', how far Markdown scans for its ']' (to the end of the run when none)."""
    total, worst = 0, (0, 0, 0, False)  # (longest single scan, line, col, unclosed)
    for run in runs:
        offset, stack = 0, []
        for index, column, part in run:
            skip = -1
            for match in _BRACKETS.finditer(part):
                at = match.start()
                if at == skip:
                    continue
                char = match.group()
                if char == "\\":
                    skip = at + 1
                elif char == "[":
                    stack.append((offset + at, index, column + at))
                elif stack:
                    start, line, col = stack.pop()
                    total += offset + at - start
                    if offset + at - start > worst[0]:
                        worst = (offset + at - start, line, col, False)
            offset += len(part) + 1
        for start, line, col in stack:
            total += offset - start
            if offset - start > worst[0]:
                worst = (offset - start, line, col, True)
    if total <= MAX_BRACKET_SCAN:
        return None
    _, line, col, unclosed = worst
    what = "is never closed" if unclosed else "opens the longest bracketed stretch"
    return MarkdownProblem(line + 1, col + 1,
                           f"too many unclosed or nested '[': matching them would scan {total:,} characters, "
                           f"more than the {MAX_BRACKET_SCAN:,} sitegen allows in one page",
                           f"this '[' {what}; close each '[' with ']' or write it as \\[")
