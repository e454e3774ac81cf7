"""Diagnostics and the exception hierarchy.

Every user-facing problem is a :class:`Diagnostic` that names a file, a line
and a column, says what is wrong and, where it helps, what to do. Stages
collect diagnostics instead of raising on the first one, so an editor sees
every problem of the site at once. The CLI only prints what these classes
format; it never builds messages of its own.
"""

from __future__ import annotations

import difflib
import os
import re
from dataclasses import KW_ONLY, dataclass
from typing import Iterable, Sequence

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True, order=True)
class Diagnostic:
    """One problem at one place: ``path:line:col: severity: message``."""

    path: str
    line: int
    col: int
    message: str
    _: KW_ONLY
    severity: str = ERROR
    hint: str | None = None

    def format(self) -> str:
        text = f"{printable(self.path)}:{self.line}:{self.col}: {self.severity}: {printable(self.message)}"
        if self.hint:
            text += f"\n  hint: {printable(self.hint)}"
        return text

    def as_json(self) -> dict:
        """The diagnostic for tools (``check --format json``): every field, text as it is."""
        return {"path": self.path, "line": self.line, "col": self.col, "severity": self.severity,
                "message": self.message, "hint": self.hint}

    def format_github(self) -> str:
        """A GitHub Actions workflow command, shown as an annotation on the line."""
        kind = "error" if self.severity == ERROR else "warning"
        message = printable(self.message + (f" (hint: {self.hint})" if self.hint else ""), keep_newlines=True)
        return (
            f"::{kind} file={_gh_property(printable(self.path))},line={self.line},col={self.col}"
            f"::{_gh_data(message)}"
        )


# Control characters, and the Unicode controls that reorder text (as in "Trojan Source"):
# messages quote file names and values from content, and a terminal would obey them.
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_UNPRINTABLE_BUT_NEWLINES = re.compile("[\x00-\x09\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029"
                                       "\u202a-\u202e\u2066-\u2069]")


def printable(text: str, keep_newlines: bool = False) -> str:
    """Text safe to print on one terminal line: such characters become \\x1b, \\u202e...

    GitHub annotations encode line breaks themselves (%0A), so they keep them.
    """
    pattern = _UNPRINTABLE_BUT_NEWLINES if keep_newlines else _UNPRINTABLE
    return pattern.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100
                       else f"\\u{ord(m.group()):04x}", text)


_BOM = b"\xef\xbb\xbf"


def utf8_problem(raw: bytes, exc: UnicodeDecodeError) -> tuple[int, int, str]:
    """Where ``raw`` stops being UTF-8, as an editor finds it: (line, column, message).

    The column counts characters, not bytes, and not a BOM (editors hide it),
    so every reader of files reports the same place in the same words.
    """
    start = exc.start
    line_start = raw.rfind(b"\n", 0, start) + 1
    prefix = raw[line_start:start]  # valid UTF-8: the first bad byte is at start
    if line_start == 0:
        prefix = prefix.removeprefix(_BOM)
    line = raw.count(b"\n", 0, start) + 1
    col = len(prefix.decode("utf-8", "replace")) + 1
    return line, col, f"file is not valid UTF-8 (byte 0x{raw[start]:02x} at offset {start})"


def shown_path(path: "os.PathLike[str] | str", root: "os.PathLike[str] | str") -> str:
    """A path as messages show it: relative to ``root`` (the project) when inside it, else whole."""
    text, top = os.fspath(path), os.fspath(root)
    if text == top:
        return "."
    prefix = top if top.endswith("/") else top + "/"
    return text[len(prefix):] if text.startswith(prefix) else text


def unprintable_characters(text: str) -> list[str]:
    """The characters that printable() would escape in ``text``, each once, in order of appearance."""
    return list(dict.fromkeys(_UNPRINTABLE.findall(text)))


def _gh_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _gh_property(text: str) -> str:
    return _gh_data(text).replace(":", "%3A").replace(",", "%2C")


class SitegenError(Exception):
    """Base of every error sitegen reports to a user; carries its exit code."""

    exit_code = 1

    def format_message(self) -> str:
        return str(self)


class UsageError(SitegenError):
    """Wrong command line, configuration or environment: exit code 2."""

    exit_code = 2


class ConfigError(UsageError):
    """A problem in ``mkdocs.yml``; formatted like any diagnostic."""

    def __init__(self, diagnostic: Diagnostic):
        super().__init__(diagnostic.format())
        self.diagnostic = diagnostic

    def __reduce__(self):
        return (type(self), (self.diagnostic,))


class ContentError(SitegenError):
    """One or more problems in the content: exit code 1."""

    exit_code = 1

    def __init__(self, diagnostics: Sequence[Diagnostic]):
        self.diagnostics = sorted(diagnostics)
        super().__init__(self.format_message())

    def __reduce__(self):  # so that errors raised in a worker process arrive whole
        return (type(self), (self.diagnostics,))

    def format_message(self) -> str:
        errors = sum(d.severity == ERROR for d in self.diagnostics)
        warnings = len(self.diagnostics) - errors
        lines = [d.format() for d in self.diagnostics]
        lines.append(summary_line(errors, warnings))
        return "\n".join(lines)


class OutputError(SitegenError):
    """The site could not be written; the previous site is left as it was."""

    exit_code = 1


def summary_line(errors: int, warnings: int) -> str:
    def plural(n: int, word: str) -> str:
        return f"{n} {word}{'' if n == 1 else 's'}"

    return f"{plural(errors, 'error')}, {plural(warnings, 'warning')}"


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    """A hint naming the closest known spelling, or None when nothing is close."""
    close = difflib.get_close_matches(word, sorted(set(choices)), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else None


class Collector:
    """Gathers diagnostics across a stage, then raises them all together."""

    def __init__(self) -> None:
        self.items: list[Diagnostic] = []

    def error(self, path: str, line: int, col: int, message: str, hint: str | None = None) -> None:
        self.items.append(Diagnostic(path, line, col, message, severity=ERROR, hint=hint))

    def warning(self, path: str, line: int, col: int, message: str, hint: str | None = None) -> None:
        self.items.append(Diagnostic(path, line, col, message, severity=WARNING, hint=hint))

    def add(self, diagnostic: Diagnostic) -> None:
        self.items.append(diagnostic)

    def extend(self, diagnostics: Iterable[Diagnostic]) -> None:
        self.items.extend(diagnostics)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity == ERROR]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity == WARNING]

    def raise_if_errors(self, strict: bool = False) -> None:
        """Raise every diagnostic at once if any is an error (or any at all when strict)."""
        if self.errors or (strict and self.items):
            items = self.items
            if strict:
                items = [Diagnostic(d.path, d.line, d.col, d.message, severity=ERROR, hint=d.hint) for d in items]
            raise ContentError(items)
