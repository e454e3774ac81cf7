"""The themes that ship inside sitegen, one folder each: ``theme.name`` picks one.

A theme folder holds Jinja templates and a ``static/`` folder (published under
``assets/``). ``theme.custom_dir`` is searched before it, template by template
and file by file, as in MkDocs.
"""

from __future__ import annotations

from pathlib import Path

DEFAULT = "factsheet"
_HERE = Path(__file__).resolve().parent


def names() -> list[str]:
    """The packaged themes: the folders here that carry a ``mkdocs_theme.yml``."""
    return sorted(p.parent.name for p in _HERE.glob("*/mkdocs_theme.yml"))


def folder(name: str) -> Path:
    """Where the packaged theme ``name`` lives (it is known: see :func:`names`)."""
    return _HERE / name
