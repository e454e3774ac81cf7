"""The anchors a page offers besides its body's: what its template writes, and the settings that
decide the ids of headings and footnotes."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path


_TEMPLATE_ID_RE = re.compile(r"""\bid=(?:"([^"]*)"|'([^']*)')""")


_TEMPLATE_EXPR_RE = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.S)


_TEMPLATE_REF_RE = re.compile(r"""\{%-?\s*(?:extends|include|import|from)\s+["']([^"']+)["']""")


@dataclass(frozen=True)
class Anchors:
    """The anchors of one page: exact ids, and patterns for ids its template computes."""

    ids: frozenset[str]
    patterns: tuple[re.Pattern, ...] = ()

    def __contains__(self, anchor: str) -> bool:
        return anchor in self.ids or any(p.fullmatch(anchor) for p in self.patterns)


@dataclass(frozen=True)
class LinkRules:
    """What decides the anchors of a page besides its body: the Markdown settings and the templates."""

    toc: bool = True                       # headings get ids (the toc extension is on)
    separator: str = "-"                   # toc's word separator in ids
    attr_list: bool = False                # '## Title {#id}' sets the id
    footnote_separator: str | None = ":"   # footnotes' id separator; None when footnotes are off
    templates: dict[str, Anchors] = field(default_factory=dict)  # "sheet", "page", "home" -> its ids

    @classmethod
    def from_config(cls, config) -> "LinkRules":
        options = {_short_name(name): opts for name, opts in config.markdown_extensions}
        toc, footnotes = options.get("toc"), options.get("footnotes")
        templates = {kind: template_anchors(config.theme_dirs, name)
                     for kind, name in (("sheet", "sheet.html"), ("page", "page.html"), ("home", "home.html"))}
        return cls(toc=toc is not None, separator=str((toc or {}).get("separator", "-")),
                   attr_list="attr_list" in options,
                   footnote_separator=None if footnotes is None else str(footnotes.get("SEPARATOR", ":")),
                   templates=templates)


def _short_name(name: str) -> str:
    """'markdown.extensions.toc' and 'toc' are the same extension."""
    return name.rsplit(".", 1)[-1].split(":", 1)[0]


def template_anchors(theme_dirs: tuple[Path, ...], name: str) -> Anchors:
    """The ids a template writes, with the templates it extends, includes and imports
    (each looked up as Jinja does: custom_dir first, then the theme)."""
    ids, patterns = set(), []
    pending, seen = [name], set()
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        found = next((folder / current for folder in theme_dirs if (folder / current).is_file()), None)
        try:  # a regex, not Jinja's parser: that would cost a tenth of a second on every build
            source = found.read_text(encoding="utf-8") if found else ""
        except (OSError, UnicodeDecodeError):
            continue  # rendering reports a missing or broken template
        pending += _TEMPLATE_REF_RE.findall(source)
        for match in _TEMPLATE_ID_RE.finditer(source):
            value = match.group(1) if match.group(1) is not None else match.group(2)
            parts = _TEMPLATE_EXPR_RE.split(value)
            if len(parts) == 1:
                ids.add(value)
            else:
                patterns.append(re.compile(".+".join(re.escape(p) for p in parts), re.S))
    return Anchors(frozenset(ids), tuple(patterns))
