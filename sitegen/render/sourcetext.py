"""A source's stored text as its page shows it: paragraphs, as far as its `rights` allow, with
each cited passage marked and anchored so that a note's link lands on the words it quotes."""

from __future__ import annotations

import html

from ..folding import PARAGRAPH_BREAK  # the paragraphs a quote must stay within are the ones shown
from ..model import Source
from ..site import Passage

# Where an excerpt leaves text out: "[…]" to the eye, words to a screen reader.
_GAP = '<p class="gap"><span aria-hidden="true">[\u2026]</span><span class="vh">Text left out.</span></p>'


def source_text_html(source: Source, passages: list[Passage]) -> str:
    """The stored text as far as `rights` allows, cited passages marked and anchored."""
    if source.text is None or source.rights == "metadata-only":
        return ""
    text = source.text
    paragraphs, start = [], 0
    for match in PARAGRAPH_BREAK.finditer(text):
        paragraphs.append((start, match.start()))
        start = match.end()
    paragraphs.append((start, len(text)))
    paragraphs = [(a, b) for a, b in paragraphs if text[a:b].strip()]
    excerpts = source.rights == "excerpts"
    parts, skipped = [], False
    for a, b in paragraphs:
        inside = [p for p in passages if p.start < b and p.end > a]
        if excerpts and not inside:
            skipped = True
            continue
        if skipped or (excerpts and not parts and a > paragraphs[0][0]):
            parts.append(_GAP)
        skipped = False
        parts.append(f"<p>{_highlight(text, a, b, inside)}</p>")
    if excerpts and skipped and parts:
        parts.append(_GAP)
    return "\n".join(parts)


def _highlight(text: str, start: int, end: int, passages: list[Passage]) -> str:
    """Escape text[start:end], wrapping cited passages in <mark> with anchors at their starts.

    Each <mark> names, in data-q, the anchors of the passages it belongs to, so
    a passage split by an overlapping one can still be emphasised as a whole.
    """
    cuts = {start, end}
    for p in passages:
        cuts.update(x for x in (p.start, p.end) if start < x < end)
    anchors = {max(p.start, start): [] for p in passages}
    for p in passages:
        if p.start >= start:
            anchors[p.start].append(p.anchor)
    out, points = [], sorted(cuts)
    for a, b in zip(points, points[1:]):
        for anchor in anchors.get(a, []):
            out.append(f'<span class="anchor" id="{anchor}"></span>')
        chunk = html.escape(text[a:b], quote=False).replace("\r\n", "\n").replace("\n", "<br>\n")
        covering = [p.anchor for p in passages if p.start < b and p.end > a]
        if covering:  # data-q lets the page's CSS light up a whole passage when its anchor is the :target
            out.append(f'<mark data-q="{" ".join(covering)}">{chunk}</mark>')
        else:
            out.append(chunk)
    return "".join(out)
