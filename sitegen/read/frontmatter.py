"""Split a Markdown file into its YAML front matter and its body, keeping lines.

Line numbers matter: every error in the front matter or the body must point at
the line of the file, so we return where each part starts.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import ContentError, Diagnostic

FENCES = ("---", "...")


@dataclass(frozen=True)
class Split:
    front: str | None  # the YAML text, or None when the file has no front matter
    front_line: int    # file line of the YAML's first line
    body: str
    body_line: int     # file line of the body's first line


def split(text: str, path: str) -> Split:
    """Split ``text`` (newlines already normalised to ``\\n``).

    A file starts its front matter with a ``---`` line and ends it with a
    ``---`` (or ``...``) line. A file without a leading ``---`` has no front
    matter.
    """
    lines = text.split("\n")
    if lines[0].rstrip() != "---":
        return Split(None, 1, text, 1)
    for index in range(1, len(lines)):
        if lines[index].rstrip() in FENCES:
            return Split("\n".join(lines[1:index]) + "\n", 2, "\n".join(lines[index + 1:]), index + 2)
    raise ContentError([
        Diagnostic(
            path, 1, 1,
            "front matter starts on line 1 but is never closed",
            hint="did you forget to add a '---' line after the front matter?",
        )
    ])
