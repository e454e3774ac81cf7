"""Find verbatim quotes in stored source texts, forgiving typography only.

Editors type quotes by hand: straight quotes, hyphens, single spaces. Sources
arrive with curly quotes, em dashes, NBSPs, ligatures and CRLF line ends. Both
sides are compared after :func:`normalize`, which erases exactly those
differences and nothing else (case and wording still have to match), and
matches are mapped back to offsets in the original text so that a page can
highlight the quoted passage.
"""

from __future__ import annotations

import functools

import re
import unicodedata
from array import array
from collections import Counter
from difflib import SequenceMatcher

_SINGLE = "\u2018\u2019\u201a\u201b\u2032\u2035\u2039\u203a\u02bc"  # ‘ ’ ‚ ‛ ′ ‵ ‹ › ʼ
_DOUBLE = "\u201c\u201d\u201e\u201f\u2033\u2036\u00ab\u00bb"  # “ ” „ ‟ ″ ‶ « »
_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u2e3a\u2e3b"  # ‐ ‑ ‒ – — ― − ⸺ ⸻
_FOLD = str.maketrans(
    {**dict.fromkeys(_SINGLE, "'"), **dict.fromkeys(_DOUBLE, '"'), **dict.fromkeys(_DASHES, "-")}
)
_NON_ASCII = re.compile(r"[^\x00-\x7f]+")
_WS = re.compile(r"\s+")  # the same characters as str.isspace()
_CJK = "\u2e80-\u9fff\uf900-\ufaff"  # written without spaces: each character is a word
_WORD = re.compile(rf"[{_CJK}]|[^\s{_CJK}]+")
_PUNCT = re.compile(r"[\W_]+")
_EDGE = "\"'.,;:!?()[]- "
HINT_WORDS = 60  # the longest stretch of a quote that closest() compares with the source


def _pieces(text: str):
    """Yield ``(start, end, out, one_to_one)`` covering ``text`` in order.

    NFKC is not per character (a base letter composes with the combining marks
    after it, Hangul jamo and some Indic vowel signs compose with the letter
    before them), so non-ASCII text is normalised one segment at a time: a
    character plus everything after it that NFKC would combine with it. Every
    output character of such a segment maps to the whole segment. ASCII
    stretches are already normal and map one to one, which keeps plain English
    sources cheap.
    """
    pos = 0
    for m in _NON_ASCII.finditer(text):
        a, b = m.span()
        if a > pos and not _separate(text[a - 1], text[a], _nfkc(text[a])):
            a -= 1  # the ASCII base letter belongs to the mark's segment
        if a > pos:
            yield pos, a, text[pos:a], True
        seg, out, stale = a, _nfkc(text[a]), False
        for i in range(a + 1, b):
            char = text[i]
            if unicodedata.combining(char):
                stale = True  # normalised with its segment when the segment ends
                continue
            following = _nfkc(char)
            if stale:
                out, stale = _nfkc(text[seg:i]), False
            if not _separate(out, char, following):
                stale = True
                continue
            yield seg, i, out, False
            seg, out = i, following
        yield seg, b, _nfkc(text[seg:b]) if stale else out, False
        pos = b
    if pos < len(text):
        yield pos, len(text), text[pos:], True


def _nfkc(text: str) -> str:
    # Fold before NFKC too: NFKC turns ″ into two primes.
    return unicodedata.normalize("NFKC", text.translate(_FOLD)).translate(_FOLD)


def _separate(before: str, char: str, char_out: str) -> bool:
    """Whether NFKC of (text normalising to ``before``) + ``char`` is the two parts' NFKC side by side."""
    return (not unicodedata.combining(char) and not (char_out and unicodedata.combining(char_out[0]))
            and unicodedata.is_normalized("NFKC", before + char_out))


def _fold(text: str, want_map: bool):
    """Normalise ``text``; with ``want_map`` also return, per output character,
    the ``[start, end)`` of the original characters it came from."""
    pieces = list(_pieces(text))
    pre = "".join(p[2] for p in pieces)
    if not want_map:
        return _WS.sub(" ", pre).strip(), None, None
    starts, ends = array("i"), array("i")
    for s, e, out, one_to_one in pieces:
        if one_to_one:
            starts.extend(range(s, e))
            ends.extend(range(s + 1, e + 1))
        else:
            starts.extend([s] * len(out))
            ends.extend([e] * len(out))
    out, res_s, res_e, pos = [], array("i"), array("i"), 0
    for m in _WS.finditer(pre):
        a, b = m.span()
        out.append(pre[pos:a])
        res_s.extend(starts[pos:a])
        res_e.extend(ends[pos:a])
        if 0 < a and b < len(pre):  # inner run: one space spanning the whole run
            out.append(" ")
            res_s.append(starts[a])
            res_e.append(ends[b - 1])
        pos = b
    out.append(pre[pos:])
    res_s.extend(starts[pos:])
    res_e.extend(ends[pos:])
    return "".join(out), res_s, res_e


@functools.lru_cache(maxsize=1 << 16)  # the same quotes are normalised many times per build
def normalize(text: str) -> str:
    """The form quotes and sources are compared in: NFKC, curly quotes and
    dashes folded to ASCII, white-space runs to one space, stripped; case kept."""
    return _fold(text, False)[0]


def _key(word: str) -> str:
    """A loose word identity for the similarity prefilter only."""
    return _PUNCT.sub("", word).casefold()


class SourceText:
    """A stored source text, searchable for quotes in normalised form."""

    def __init__(self, text: str, indexed: bool = False):
        """``indexed``: map every normalised character to its place in the text now (one
        pass), rather than on the first quote found (a second pass)."""
        self.text = text
        if indexed:
            self.normalized, self._starts, self._ends = _fold(text, True)
        else:
            self.normalized = normalize(text)
            self._starts = self._ends = None  # built on the first hit only
        self._words = None  # built on the first closest() only
        self._located: dict[str, tuple[int, int] | None] = {}  # quote -> span: a sheet edit re-checks few

    def _span(self, i: int, n: int) -> tuple[int, int]:
        if self._starts is None:
            norm, self._starts, self._ends = _fold(self.text, True)
            assert norm == self.normalized
        return self._starts[i], self._ends[i + n - 1]

    def _aligned(self, i: int, n: int) -> bool:
        """Whether the match neither starts nor ends inside the output of one
        original segment (e.g. "ine" inside the expansion of "ﬁne")."""
        s, e, j = self._starts, self._ends, i + n - 1
        return (i == 0 or e[i - 1] <= s[i]) and (j + 1 == len(s) or e[j] <= s[j + 1])

    def _find(self, q: str, step: int):
        i = self.normalized.find(q) if q else -1
        while i != -1:
            yield i
            i = self.normalized.find(q, i + step)

    def locate(self, quote: str) -> tuple[int, int] | None:
        """Span in the original text of the first occurrence of the quote.

        An occurrence made of whole source characters wins over an earlier one
        that cuts through a ligature or composed character; the latter is still
        returned when nothing better exists, so ``locate`` agrees with ``in``.
        """
        if quote in self._located:
            return self._located[quote]
        q = normalize(quote)
        first = None
        for i in self._find(q, 1):
            span = self._span(i, len(q))
            if self._aligned(i, len(q)):
                first = span
                break
            first = first or span
        self._located[quote] = first
        return first

    def locate_all(self, quote: str) -> list[tuple[int, int]]:
        """Spans of every non-overlapping occurrence, left to right."""
        q = normalize(quote)
        return [self._span(i, len(q)) for i in self._find(q, len(q))]

    def _focus(self, q: str) -> str:
        """At most HINT_WORDS words of a long quote, centred where it stops matching the source.

        The search below is quadratic in the quote's length (400 words: seconds per
        quote), and for a long quote the place where it departs from the source is
        what the editor needs to see. Every prefix of a found prefix is found, so a
        binary search finds the first word that breaks the match.
        """
        ends = [m.end() for m in _WORD.finditer(q)]
        if len(ends) <= HINT_WORDS:
            return q
        lo, hi = 0, len(ends) - 1  # ends[hi] (the whole quote) is not found
        while lo < hi:
            mid = (lo + hi) // 2
            if q[:ends[mid]] in self.normalized:
                lo = mid + 1
            else:
                hi = mid
        first = max(0, min(lo - HINT_WORDS // 2, len(ends) - HINT_WORDS))
        start = ends[first - 1] if first else 0
        return q[start:ends[first + HINT_WORDS - 1]].strip()

    def closest(self, quote: str) -> tuple[str, float]:
        """The passage most like the quote and its similarity in [0, 1], for an
        error message that shows the editor what the source actually says.

        Windows of the quote's word count are ranked by shared words (a sliding
        count, linear in the source); the best few distinct windows are then
        scored with difflib and grown or shrunk a word at a time while that helps.
        """
        q = self._focus(normalize(quote))
        if self._words is None:
            found = list(_WORD.finditer(self.normalized))
            self._words = [m.span() for m in found], [_key(m.group()) for m in found]
        spans, keys = self._words
        qkeys = [_key(w) for w in _WORD.findall(q)]
        if not qkeys or not keys:
            return "", 0.0
        want, n = Counter(qkeys), min(len(qkeys), len(keys))
        have: dict[str, int] = {}
        hits, scored = 0, []
        for i, k in enumerate(keys):
            if k in want:
                hits += have.get(k, 0) < want[k]
                have[k] = have.get(k, 0) + 1
            if i >= n and keys[i - n] in want:
                old = keys[i - n]
                have[old] -= 1
                hits -= have[old] < want[old]
            if i >= n - 1:
                scored.append((-hits, i - n + 1))
        scored.sort()
        seeds: list[int] = []
        for _, i in scored:
            if all(abs(i - j) > n // 2 for j in seeds):
                seeds.append(i)
                if len(seeds) == 4:
                    break

        # Climb on word sequences (cheap), judge the result on characters.
        by_word = SequenceMatcher(None, autojunk=False)
        by_word.set_seq2(qkeys)
        cache: dict[tuple[int, int], float] = {}

        def score(i: int, j: int) -> float:
            if (i, j) not in cache:
                by_word.set_seq1(keys[i:j])
                cache[i, j] = by_word.ratio()
            return cache[i, j]

        climbed: dict[int, tuple[float, int, int]] = {}
        for i in seeds:
            cur = (score(i, i + n), i, i + n)
            for _ in range(8):  # a quote rarely differs by more words than this
                _, a, b = cur
                moves = [(a - 1, b), (a + 1, b), (a, b - 1), (a, b + 1)]
                moves = [(x, y) for x, y in moves if 0 <= x < y <= len(keys)]
                nxt = max(((score(x, y), x, y) for x, y in moves), default=cur)
                if nxt[0] <= cur[0]:
                    break
                cur = nxt
            climbed[i] = cur

        # Judge on characters, and among near-equal passages prefer the one that
        # covers most of the quote: the editor should see what the source says in
        # place of the changed words, not only the words both share.
        by_char = SequenceMatcher(None, autojunk=False)
        by_char.set_seq2(q)
        candidates: list[tuple[float, str]] = []
        for i in seeds:
            _, a, b = climbed[i]
            for x in range(max(0, a - 2), a + 1):
                for y in range(b, min(len(keys), b + 2) + 1):
                    if x < y:
                        text = self.normalized[spans[x][0]: spans[y - 1][1]]
                        if q[:1] not in _EDGE:  # trim punctuation the quote does not have
                            text = text.lstrip(_EDGE)
                        if q[-1:] not in _EDGE:
                            text = text.rstrip(_EDGE)
                        by_char.set_seq1(text)
                        candidates.append((by_char.ratio(), text))
        top = max(r for r, _ in candidates)
        # Among near-best passages, the one sharing the most characters with the quote.
        near = [(round(r * (len(t) + len(q)) / 2), -abs(len(t) - len(q)), r, t)
                for r, t in candidates if r >= top - 0.05]
        *_, ratio, passage = max(near)
        return passage, ratio
