"""Links between the site's own pages lead somewhere, or the build says where they do not.

A body link to a Markdown file (``overview.md``, ``../about.md#rights``) is
rewritten into a link to the page that file becomes (:func:`markup.md_link_path`).
Before anything is rendered, this module checks that such a file is a page of
the site (an error otherwise) and that the anchor after ``#``, and that of a
same-page link (``#costs``), is one the page has (a warning; an error under
``--strict``), with a did-you-mean over the site's pages and the page's anchors.
It reads what :mod:`.links` finds in each body, so it runs on every build that is
not "up to date" (those replay the last build's warnings) and costs no render.
External links (any scheme, or ``//host``) and links to files that are not
Markdown are not checked.

A session (serve) keeps each file's problems in a :class:`LinkMemo` with what
they were found from — the file's record and citation notes, the very objects,
and those of each page whose anchors a link looked at — and reports them again
while all of those and the site's set of pages (and drafts) are as they were.
"""

from __future__ import annotations

import difflib
import functools
import posixpath
from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import unquote, urlsplit

from ..errors import Collector
from ..folding import normalize
from ..model.hashing import digest
from ..site import Site
from .anchors import Anchors, LinkRules
from .links import _LINK_RE, CiteText, Scanned, _written_cite, body_anchors, remember, scan
from .markup import md_link_path, page_source_path


@dataclass
class _Target:
    """A Markdown file of the site that links may lead to."""

    shown: str              # its path in messages
    body: str
    template: str           # "sheet", "page" or "home"
    published: bool = True  # False for a draft left out of this build
    cite_text: CiteText = _written_cite
    scanned: Callable[[str], Scanned] = scan
    _own: list[str] | None = None
    _anchors: Anchors | None = None

    def headings(self, rules: LinkRules) -> list[str]:
        """The anchors its body gives (headings, footnotes), made when a link first asks."""
        if self._own is None:
            self._own = body_anchors(self.scanned(self.body), rules, self.cite_text)
        return self._own

    def anchors(self, rules: LinkRules) -> Anchors:
        if self._anchors is None:
            template = rules.templates.get(self.template, Anchors(frozenset()))
            self._anchors = Anchors(template.ids | frozenset(self.headings(rules)), template.patterns)
        return self._anchors


SCAN_FORMAT = "sitegen link scan 1"


def stored_scan(store) -> Callable[[str], Scanned]:
    """:func:`scan`, remembered across processes in ``store`` (a records.RecordStore, or None) by a
    digest of the body: a new build after an edit scans the edited body only. A stored value of
    the wrong shape is ignored and the body scanned again."""
    if store is None:
        return scan

    def scanned(body: str) -> Scanned:
        key = digest(SCAN_FORMAT, body)
        value = store.get_scan(key)
        try:
            links, headings, footnotes = value
            found = Scanned(tuple((u, ln, c) for u, ln, c in links), tuple(headings), tuple(footnotes))
            if all(type(u) is str and type(ln) is int and type(c) is int for u, ln, c in found.links) and \
                    all(type(t) is str for t in found.headings + found.footnotes):
                return remember(body, found)  # later builds of this process find it in memory
        except (TypeError, ValueError):
            pass
        found = scan(body)
        store.put_scan(key, [found.links, found.headings, found.footnotes])
        return found
    return scanned


@dataclass
class LinkMemo:
    """A session's link checks: each file's problems with what they were found from (see above)."""

    rules: LinkRules | None = None                      # what the anchors below were made by
    world: tuple | None = None                          # the broken sheets, every page and if it is published
    targets: dict[str, tuple] = field(default_factory=dict)  # path -> (record, notes, published, _Target)
    checks: dict[str, tuple] = field(default_factory=dict)   # path -> (record, notes, body line, looked at, problems)


def check_links(site: Site, rules: LinkRules, report: Collector, store=None, memo: LinkMemo | None = None) -> None:
    """Report every link of the site's sheets and pages that leads to no page, or to no anchor of
    one, and Markdown links written in topic descriptions (plain text, shown as typed)."""
    content = site.content
    scanned = stored_scan(store)
    memo = memo if memo is not None else LinkMemo()
    if rules != memo.rules:
        memo.rules, memo.targets, memo.checks = rules, {}, {}
    targets, sources = _targets(site, memo, scanned)
    world = (content.broken_sheets, {path: target.published for path, target in targets.items()})
    if world != memo.world:  # a page made, removed, published or not: any hint may differ
        memo.world, memo.checks = world, {}
    checks = {}
    for path, record, body_line in sorted(sources, key=lambda s: s[0]):
        notes, kept = memo.targets[path][1], memo.checks.get(path)
        if kept is None or kept[0] is not record or kept[1] is not notes or kept[2] != body_line or any(
                memo.targets.get(p, (None,))[:2] != (r, n) for p, r, n in kept[3]):
            found, looked = Collector(), []
            for url, line, col in scanned(record.body).links:
                _check_link(url, path, targets[path], body_line + line - 1, col, targets, content.broken_sheets,
                            rules, found, looked)
            kept = (record, notes, body_line, tuple((p, *memo.targets[p][:2]) for p in dict.fromkeys(looked)),
                    found.items)
        checks[path] = kept
        report.extend(kept[4])
    memo.checks = checks
    for topic_id, topic in sorted(content.topics.items()):
        _check_description(topic_id, topic.description, content.topic_positions.get(topic_id), report)


def _targets(site: Site, memo: LinkMemo, scanned: Callable[[str], Scanned]) -> tuple[dict, list]:
    """Every Markdown file links may lead to (the memo's own object while its record and notes are
    the very same), and the files whose links are checked: published sheets, and pages."""
    content, kept = site.content, memo.targets
    now: dict[str, tuple] = {}
    sources = []
    for sheet in content.sheets.values():
        path, notes = f"sheets/{sheet.id}.md", site.links.get(sheet.id)
        _keep(now, kept, path, sheet, notes, notes is not None,
              lambda: _Target(sheet.path, sheet.body, "sheet", notes is not None, _cite_text(notes), scanned))
        if notes is not None:
            sources.append((path, sheet, sheet.body_line))
    for page in content.pages.values():
        path = page_source_path(page)
        _keep(now, kept, path, page, None, True,
              lambda: _Target(page.path, page.body, "page" if page.slug else "home", scanned=scanned))
        sources.append((path, page, page.body_line))
    memo.targets = now
    for entry in now.values():  # a kept one may hold the last build's way to scan (its record cache)
        entry[3].scanned = scanned
    return {path: entry[3] for path, entry in now.items()}, sources


def _keep(now: dict, kept: dict, path: str, record: Any, notes: Any, published: bool, make: Callable) -> None:
    old = kept.get(path)
    if old is not None and old[0] is record and old[1] is notes and old[2] == published:
        now[path] = old
    else:
        now[path] = (record, notes, published, make())


@functools.lru_cache(maxsize=65536)  # the same links are looked at again on every build
def _destination(url: str, path: str) -> tuple[str, str, str | None, str]:
    """Where a link written in the file ``path`` leads: (kind, path as written, docs_dir-relative
    file or None when it leaves docs_dir, anchor). Kind is "here" (only an anchor), "md" (a
    Markdown file) or "other": external (a scheme or '//host'), absolute, or not Markdown."""
    parts = urlsplit(url)
    fragment = unquote(parts.fragment)
    if parts.scheme or parts.netloc or url.startswith("/"):
        return "other", "", None, fragment
    if not parts.path:
        return "here", "", None, fragment
    if not parts.path.endswith(".md"):
        return "other", "", None, fragment  # an asset or a page sitegen generates: not checked here
    return "md", parts.path, md_link_path(unquote(parts.path), path), fragment


def _check_link(url: str, path: str, source: _Target, line: int, col: int, targets: dict[str, _Target],
                broken_sheets: frozenset[str], rules: LinkRules, report: Collector, looked: list[str]) -> None:
    """Report what is wrong with one link; ``looked`` gets the pages whose anchors it read."""
    kind, written, target_path, fragment = _destination(url, path)
    if kind == "other":
        return
    if kind == "here":
        if fragment and fragment not in source.anchors(rules):
            report.warning(source.shown, line, col, f"link to '#{fragment}': this page has no such anchor",
                           _anchor_hint(fragment, source, rules, ""))
        return
    docs_prefix = source.shown[: len(source.shown) - len(path)]
    if target_path is None:
        report.error(source.shown, line, col, f"link to '{url}' leads out of {docs_prefix or 'docs_dir'}",
                     "link to a .md file inside it, relative to this file")
        return
    target = targets.get(target_path)
    if target is None:
        if target_path.startswith("sheets/") and target_path[7:-3] in broken_sheets:
            return  # the sheet's own file could not be read: reported already
        # Compared as they would be written here, without '.md', so that a shared folder or suffix is no likeness.
        here = posixpath.dirname(path) or "."
        close = _closest(posixpath.relpath(target_path, here)[:-3], (posixpath.relpath(t, here)[:-3] for t in targets))
        hint = f"did you mean '{close}.md'?" if close else "link to an existing .md file, relative to this one"
        report.error(source.shown, line, col, f"link to '{url}': {docs_prefix}{target_path} does not exist", hint)
        return
    if not target.published:
        report.warning(source.shown, line, col, f"link to '{url}': {target.shown} is a draft, left out of this build",
                       "publish it, or build with --drafts")
        return
    if fragment:
        looked.append(target_path)
    if fragment and fragment not in target.anchors(rules):
        report.warning(source.shown, line, col, f"link to '{url}': {target.shown} has no anchor '{fragment}'",
                       _anchor_hint(fragment, target, rules, written))


def _anchor_hint(fragment: str, target: _Target, rules: LinkRules, written: str) -> str:
    """A did-you-mean over the page's anchors, or the ids of its headings."""
    close = _closest(fragment, target.anchors(rules).ids)
    if close:
        return f"did you mean '{written}#{close}'?"
    headings = target.headings(rules)
    if headings:
        return f"its headings' anchors are: {', '.join(headings[:8])}" + (", ..." if len(headings) > 8 else "")
    return "link to the page without '#', or give it a heading to link to"


def _closest(word: str, choices) -> str | None:
    """The closest of choices, as errors.did_you_mean finds it; here the hint shows it in a link."""
    close = difflib.get_close_matches(word, sorted(set(choices)), n=1, cutoff=0.6)
    return close[0] if close else None


def _cite_text(notes) -> CiteText:
    """How a citation in one of the sheet's headings reads, as markup's citation link writes it
    (``notes``: the sheet's SheetLinks, None for a draft)."""
    def text(source_id: str, quote: str | None) -> str:
        note = notes.note_index.get((source_id, normalize(quote) if quote else None)) if notes else None
        if note is None:
            return _written_cite(source_id, quote)
        return (quote.strip() if quote else "") + f"[{note.number}]"
    return text


def _check_description(topic_id: str, description: str, pos, report: Collector) -> None:
    """Topic descriptions are plain text: a Markdown link there is shown to readers as written."""
    match = _LINK_RE.search(description or "")
    if match and pos is not None:
        report.warning(pos.path, pos.line, pos.col,
                       f"the description of topic '{topic_id}' has a Markdown link ('{match.group(0)}'), "
                       "but descriptions are plain text: readers would see it as written",
                       "write the description without the link; link to pages from a page or sheet body")
