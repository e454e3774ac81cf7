"""Checking one sheet: its ids, its citations, and every quote against its source's stored text.

The result is everything the sheet contributes to the site (its numbered notes,
the passages its quotes located, the ids it names) with its problems; resolve
replays it while the sheet's inputs are unchanged.
"""

from __future__ import annotations

import datetime as dt

from .errors import Collector, did_you_mean
from .folding import MAX_MARKS, normalize, quote_problem
from .model import Content, Pos, Sheet, is_id
from .site import Note, Passage, SheetLinks, SheetResult, anchor_for


def check_sheet(sheet: Sheet, inline: list, content: Content, included: set[str], today: dt.date, memo):
    """Check one sheet's ids, citations and quotes; number its notes (a resolve.SheetResult)."""
    report = Collector()
    result = SheetResult(SheetLinks(), [], [], [], [], report.items)
    check = _SheetCheck(sheet, content, memo, report, result)
    result.topics = check.ids("topics", sheet.topics, content.topics, "topic", "add it to data/topics.yml")
    result.entities = check.ids("entities", sheet.entities, content.entities, "entity", "add it to data/entities.yml")
    check.related(included)
    # Notes are numbered in the order a reader meets them: key facts, figures, body, timeline.
    for item in (*sheet.key_facts, *sheet.figures):
        check.cite(item.cite.source, item.cite.quote, item.cite.pos, item.cite.quote_pos)
    body_lines = sheet.body.split("\n") if inline else []  # once: a sheet may hold thousands of quotes
    for source_id, quote, pos in inline:
        if not is_id(source_id):
            report.error(pos.path, pos.line, pos.col, f"malformed citation '[@{source_id}'",
                         "write [@source-id] or [@source-id \"verbatim quote\"]")
            continue
        check.cite(source_id, quote, pos, None, None if quote is None else _quote_col(body_lines, sheet, pos, source_id))
    for item in sheet.timeline:
        check.cite(item.cite.source, item.cite.quote, item.cite.pos, item.cite.quote_pos)
    if sheet.review_by and sheet.review_by < today:
        pos = sheet.pos("review_by")
        report.warning(pos.path, pos.line, pos.col,
                       f"sheet is past its review date ({sheet.review_by.isoformat()})",
                       "check its facts against newer sources, then move review_by forward")
        result.links.stale = True
    return result


def _quote_col(body_lines: list[str], sheet: Sheet, pos: Pos, source_id: str) -> int:
    """The column where the words of the inline ``[@id "words"]`` found at ``pos`` start."""
    line = body_lines[pos.line - sheet.body_line]
    at = pos.col - 1 + len("[@" + source_id)
    while line[at] not in "\"\u201c":
        at += 1
    return at + 2


class _SheetCheck:
    """The checks of one sheet, writing into its result and its report."""

    def __init__(self, sheet: Sheet, content: Content, memo, report: Collector, result):
        self.sheet, self.content, self.memo, self.report, self.result = sheet, content, memo, report, result

    def ids(self, key: str, ids, known, what: str, hint: str) -> list[str]:
        good = []
        for index, item in enumerate(ids):
            if item in known:
                good.append(item)
                continue
            if key in self.content.broken_vocabularies:
                continue  # its file could not be read: reported already
            pos = self.sheet.pos(f"{key}.{index}")
            self.report.error(pos.path, pos.line, pos.col, f"unknown {what} '{item}'", did_you_mean(item, known) or hint)
        return good

    def related(self, included: set[str]) -> None:
        content, report = self.content, self.report
        for index, other in enumerate(self.sheet.related):
            pos = self.sheet.pos(f"related.{index}")
            if other == self.sheet.id:
                report.error(pos.path, pos.line, pos.col, "a sheet cannot be related to itself", "remove it from 'related'")
            elif other in content.broken_sheets:
                pass  # its own file's problem is reported already
            elif other not in content.sheets:
                report.error(pos.path, pos.line, pos.col, f"unknown sheet '{other}'",
                             did_you_mean(other, content.sheets) or "related takes ids of files in sheets/")
            elif other not in included:
                report.warning(pos.path, pos.line, pos.col, f"related sheet '{other}' is a draft; the link is left out",
                               "publish it, or build with --drafts")

    def cite(self, source_id: str, quote: str | None, pos: Pos, quote_pos: Pos | None,
             quote_col: int | None = None) -> None:
        """One citation, numbered as a note unless it repeats one. ``quote_col``: the column of
        an inline quote's first character, on ``pos``'s line."""
        source = self.content.sources.get(source_id)
        if source is None and source_id in self.content.broken_sources:
            return  # its own file's problem is reported already
        if source is None:
            self.report.error(pos.path, pos.line, pos.col, f"unknown source '{source_id}'",
                              did_you_mean(source_id, self.content.sources) or "add it under sources/ (sitegen import FILE)")
            return
        self.result.cited.append(source_id)
        located = (None, None) if quote is None else self._locate(source, quote, quote_pos or pos, quote_col)
        if located is None:
            return
        links = self.result.links
        key = (source_id, normalize(quote) if quote else None)
        if key not in links.note_index:
            note = Note(len(links.notes) + 1, source, located[1], located[0])
            links.notes.append(note)
            links.note_index[key] = note

    def _locate(self, source, quote: str, where: Pos, quote_col: int | None) -> tuple[str, str] | None:
        """(anchor, the passage as the source has it) of a quote found in the source; None (reported) if not."""
        report = self.report
        if source.text is None:
            report.error(where.path, where.line, where.col,
                         f"quote against source '{source.id}', which has no stored text to check it against",
                         "cite this source without a quote, or store its text with 'sitegen import'")
            return None
        problem = quote_problem(quote)
        if problem is not None:
            offset, message, hint = problem
            if offset is not None:
                message += (f" at column {quote_col + offset}" if quote_col is not None
                            else f" at character {offset + 1} of the quote")
            report.error(where.path, where.line, where.col, message, hint)
            return None
        text = self.memo.source_text(source.text)
        named = f"source '{source.id}' ({source.text_path})"
        if text.problem is not None:
            line = source.text.count("\n", 0, text.problem) + 1
            col = text.problem - source.text.rfind("\n", 0, text.problem)
            report.error(where.path, where.line, where.col,
                         f"{named} cannot be searched for quotes: it has more than {MAX_MARKS} combining "
                         f"marks on one character at line {line}, column {col}",
                         "correct the stored text (and its sha256), or cite the source without a quote")
            return None
        span = text.locate(quote)
        if span is None:
            message, hint = text.explain(quote)
            report.error(where.path, where.line, where.col, message.replace("{source}", named), hint)
            return None
        anchor, shown = anchor_for(quote), text.shown(span)
        self.result.passages.append((source.id, Passage(span[0], span[1], anchor, shown)))
        return anchor, shown
