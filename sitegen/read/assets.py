"""Files published as they are: the theme's static files and docs_dir's own, and what they may not be.

A file published from docs_dir is served from the site's own origin, so one
that can run script there needs an explicit allow_assets pattern; none may take
a path sitegen writes itself, or exceed max_asset_size.
"""

from __future__ import annotations

import os
import re
import unicodedata
from pathlib import Path

from ..config import SiteConfig
from ..errors import Collector
from ..model import Page

# Files a browser runs script from when they are served from the site's own origin.
SCRIPT_CAPABLE = frozenset({".html", ".htm", ".shtml", ".xhtml", ".xht", ".js", ".mjs", ".svg", ".svgz",
                            ".xml", ".xsl", ".xslt"})


def theme_assets(config: SiteConfig) -> dict[str, Path]:
    """The theme's static files by output path (<theme>/static/x is published as assets/x;
    custom_dir's replace the packaged theme's, name by name)."""
    found: dict[str, Path] = {}
    for folder in reversed(config.theme_dirs):
        static = folder / "static"
        if static.is_dir():
            for path in sorted(static.rglob("*")):
                if path.is_file() and not path.name.startswith("."):
                    found["assets/" + path.relative_to(static).as_posix()] = path
    return found


def check_assets(config: SiteConfig, assets: dict[str, Path], pages: dict[str, Page], report: Collector) -> None:
    """Refuse assets that would replace what sitegen writes, that are too large, or that can run script.

    A file published from docs_dir is served from the site's own origin, so an
    HTML, SVG or script file there runs with the site's authority: such files
    need an explicit ``allow_assets`` pattern.
    """
    taken: dict[str, tuple[str, str]] = {}   # output path (as compared) -> (output path, what writes it)
    for out in theme_assets(config):
        taken[_out_key(out)] = (out, f"the theme's static/{out[len('assets/'):]} (in theme.custom_dir)")
    for slug, page in pages.items():
        out = f"{slug}/index.html" if slug else "index.html"
        taken[_out_key(out)] = (out, f"the page generated from {page.path}")
    folders = {key.rsplit("/", i)[0]: entry for key, entry in taken.items() for i in range(1, key.count("/") + 1)}
    allowed = [_glob(pattern) for pattern in config.allow_assets]
    for rel, path in sorted(assets.items()):
        shown = config.shown(path)
        key = _out_key(rel)
        if key in taken:
            out, writer = taken[key]
            report.error(shown, 1, 1, f"the file '{rel}' would replace {writer}, published as {out}",
                         "rename or move the file: sitegen writes that path itself")
        elif key in folders:
            out, writer = folders[key]
            report.error(shown, 1, 1, f"the file '{rel}' would take the name of the folder that holds {out}, "
                                      f"{writer}", "rename or move the file: sitegen writes that folder itself")
        try:
            size = os.stat(path).st_size
        except OSError:
            size = 0  # gone since the walk: copying it reports that
        if size > config.max_asset_size:
            report.error(shown, 1, 1, f"file is larger than max_asset_size ({config.max_asset_size:,} bytes): "
                                      f"it has {size:,} bytes",
                         "publish it elsewhere and link to it, or raise max_asset_size under the sitegen "
                         "plugin in mkdocs.yml")
        suffix = os.path.splitext(rel)[1].lower()
        if suffix in SCRIPT_CAPABLE and not any(pattern.fullmatch(rel) for pattern in allowed):
            report.error(shown, 1, 1, f"the file '{rel}' could run script on the site's pages ({suffix} files "
                                      "can), so it is published only if mkdocs.yml allows it",
                         f"if the file is trusted, list it under the sitegen plugin: allow_assets: [\"{rel}\"]; "
                         "otherwise remove it, or publish it in a format that runs nothing, such as .png or .pdf")


def _out_key(path: str) -> str:
    """Output paths as case-insensitive servers and file systems compare them."""
    return unicodedata.normalize("NFC", path).casefold()


def _glob(pattern: str) -> re.Pattern:
    """An allow_assets pattern, matched against the whole path under docs_dir: '*' and '?'
    stay within one folder name, '**/' spans any number of folders."""
    parts, at = [], 0
    while at < len(pattern):
        if pattern.startswith("**/", at):
            parts.append("(?:[^/]*/)*")
            at += 3
        elif pattern.startswith("**", at):
            parts.append(".*")
            at += 2
        else:
            parts.append({"*": "[^/]*", "?": "[^/]"}.get(pattern[at], re.escape(pattern[at])))
            at += 1
    return re.compile("".join(parts), re.DOTALL)
