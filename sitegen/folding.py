"""Typography-only folding: the differences between a typed quote and its source that do not count.

Editors type straight quotes, hyphens and single spaces; sources arrive with
curly quotes, em dashes, NBSPs, ligatures, CRLF line ends and, in Chinese and
Japanese, lines hard-wrapped between two characters. :func:`normalize` erases
exactly those differences and nothing else: case, wording, digits and
compatibility forms (``⁰``, ``５``, ``①``) still have to be the source's own.
Folding works on segments of at most ``MAX_MARKS`` combining marks, so it is linear.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from array import array

_SINGLE = "\u2018\u2019\u201a\u201b\u2032\u2035\u2039\u203a\u02bc"  # ‘ ’ ‚ ‛ ′ ‵ ‹ › ʼ
_DOUBLE = "\u201c\u201d\u201e\u201f\u2033\u2036\u00ab\u00bb"  # “ ” „ ‟ ″ ‶ « »
_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u2e3a\u2e3b"  # ‐ ‑ ‒ – — ― − ⸺ ⸻
_LIGATURES = "\ufb00\ufb01\ufb02\ufb03\ufb04\ufb05\ufb06"  # ﬀ ﬁ ﬂ ﬃ ﬄ ﬅ ﬆ: letters, joined by typesetting
# Full-width ASCII punctuation (，！：（）…), what a Chinese or Japanese keyboard types; not its letters or digits.
_FULLWIDTH_PUNCT = "".join(chr(c) for c in range(0xFF01, 0xFF5F) if not chr(c - 0xFEE0).isalnum())
# Invisible characters that change nothing a reader sees, or reorder what they see.
INVISIBLE = ("\u00ad\u061c\u180e\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
             "\u2060\u2061\u2062\u2063\u2064\u2066\u2067\u2068\u2069\ufeff")
_FOLD = str.maketrans({
    **dict.fromkeys(_SINGLE, "'"), **dict.fromkeys(_DOUBLE, '"'), **dict.fromkeys(_DASHES, "-"),
    **{c: unicodedata.normalize("NFKC", c) for c in _LIGATURES},
    **{c: chr(ord(c) - 0xFEE0) for c in _FULLWIDTH_PUNCT},
})
_INVISIBLE_RE = re.compile(f"[{INVISIBLE}]|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_NON_ASCII = re.compile(r"[^\x00-\x7f]+")
_WS = re.compile(r"\s+")  # the same characters as str.isspace()
# Written without spaces: each character is a word, and a line break between two is no space.
_CJK = "\u2e80-\u2fff\u3001-\u9fff\uf900-\ufaff\uff00-\uffef\U00020000-\U0003134f"
_CJK_IDEOGRAPH = re.compile("[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")
CJK_RE = re.compile(f"[{_CJK}]")
_ASCII_PUNCT = r"!-/:-@\[-`{-~"
# White space with a line break, between two CJK characters (or their punctuation, folded to ASCII).
_CJK_BREAK = re.compile(rf"(?:(?<=[{_CJK}])|(?<=[{_CJK}][{_ASCII_PUNCT}]))[^\S\n]*\n\s*"
                        rf"(?=[{_CJK}]|[{_ASCII_PUNCT}][{_CJK}])")
WORD = re.compile(rf"[{_CJK}]|[^\s{_CJK}]+")
MIN_WORDS, MIN_CHARS, MIN_CJK_CHARS = 3, 12, 4  # the shortest quote that says which passage
MAX_MARKS = 30        # combining marks on one character (Unicode's stream-safe limit, UAX #15)
PUNCT = re.compile(r"[\W_]+")
EDGE = "\"'.,;:!?()[]- "
JOINERS = "'.,"  # inside a word or number when letters or digits are on both sides: it's, 2.5, 1,000
PARAGRAPH_BREAK = re.compile(r"\r?\n[ \t]*(?:\r?\n[ \t]*)+")




def _pieces(text: str):
    """Yield ``(start, end, out, one_to_one)`` covering ``text`` in order.

    NFC is not per character (a base letter composes with the combining marks
    after it, Hangul jamo and some Indic vowel signs compose with the letter
    before them), so non-ASCII text is normalised one segment at a time: a
    character plus everything after it that NFC would combine with it. Every
    output character of such a segment maps to the whole segment. ASCII
    stretches are already normal and map one to one, which keeps plain English
    sources cheap. A segment ends after ``MAX_MARKS`` marks whatever follows:
    NFC sorts a run of marks in quadratic time, so no run it is given is longer.
    """
    pos = 0
    for m in _NON_ASCII.finditer(text):
        a, b = m.span()
        if a > pos and not _separate(text[a - 1], text[a], _nfc(text[a])):
            a -= 1  # the ASCII base letter belongs to the mark's segment
        if a > pos:
            yield pos, a, text[pos:a], True
        seg, out, stale, marks = a, _nfc(text[a]), False, 0
        for i in range(a + 1, b):
            char = text[i]
            if unicodedata.combining(char) and marks < MAX_MARKS:
                stale, marks = True, marks + 1  # normalised with its segment when the segment ends
                continue
            following = _nfc(char)
            if stale:
                out, stale = _nfc(text[seg:i]), False
            if marks < MAX_MARKS and not _separate(out, char, following):
                stale = True
                continue
            yield seg, i, out, False
            seg, out, marks = i, following, 0
        yield seg, b, _nfc(text[seg:b]) if stale else out, False
        pos = b
    if pos < len(text):
        yield pos, len(text), text[pos:], True


def _nfc(text: str) -> str:
    # Fold before NFC too, so that a curly quote never composes with anything.
    return unicodedata.normalize("NFC", text.translate(_FOLD)).translate(_FOLD)


def _separate(before: str, char: str, char_out: str) -> bool:
    """Whether NFC of (text normalising to ``before``) + ``char`` is the two parts' NFC side by side."""
    return (not unicodedata.combining(char) and not (char_out and unicodedata.combining(char_out[0]))
            and unicodedata.is_normalized("NFC", before + char_out))


def fold(text: str, want_map: bool):
    """Normalise ``text``; with ``want_map`` also return, per output character,
    the ``[start, end)`` of the original characters it came from."""
    pieces = list(_pieces(text))
    pre = "".join(p[2] for p in pieces)
    if not want_map:
        return _WS.sub(" ", _CJK_BREAK.sub("", pre)).strip(), None, None
    starts, ends = array("i"), array("i")
    for s, e, out, one_to_one in pieces:
        if one_to_one:
            starts.extend(range(s, e))
            ends.extend(range(s + 1, e + 1))
        else:
            starts.extend([s] * len(out))
            ends.extend([e] * len(out))
    out, res_s, res_e, pos = [], array("i"), array("i"), 0
    dropped = {m.start() for m in _CJK_BREAK.finditer(pre)}
    for m in _WS.finditer(pre):
        a, b = m.span()
        out.append(pre[pos:a])
        res_s.extend(starts[pos:a])
        res_e.extend(ends[pos:a])
        if 0 < a and b < len(pre) and a not in dropped:  # inner run: one space spanning the whole run
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
    """The form quotes and sources are compared in: NFC, curly quotes, dashes and
    full-width punctuation folded to ASCII, letter ligatures spelt out, white-space
    runs to one space (none for a line break between two CJK characters), stripped;
    case, digits and compatibility forms kept."""
    return fold(text, False)[0]


def nfkc_key(text: str) -> str:
    """Looser than :func:`normalize` (compatibility forms read as plain ones): never for a match,
    only to tell an editor that their quote differs from the source in such characters alone."""
    return normalize(unicodedata.normalize("NFKC", normalize(text)))


def shown(text: str) -> str:
    """A passage of a stored text as a page shows it: the text's own characters, its line
    breaks and white-space runs as one space (none between two CJK characters), stripped
    of the invisible characters the search ignores."""
    return _WS.sub(" ", _CJK_BREAK.sub("", _INVISIBLE_RE.sub("", text))).strip()


def marks_overflow(text: str) -> int | None:
    """Offset of the first combining mark beyond ``MAX_MARKS`` on one character, if any."""
    if text.isascii():
        return None
    for m in _NON_ASCII.finditer(text):  # an ASCII character ends a run
        run = 0
        for i in range(m.start(), m.end()):
            run = run + 1 if unicodedata.combining(text[i]) else 0
            if run > MAX_MARKS:
                return i
    return None


def quote_problem(quote: str) -> tuple[int | None, str, str] | None:
    """What makes a quote unusable whatever its source says: ``(offset in the quote or None,
    message, hint)``, or None. An offset names the character at fault."""
    bad = _INVISIBLE_RE.search(quote)
    if bad:
        char = bad.group()
        name = unicodedata.name(char, "CONTROL CHARACTER")
        return (bad.start(), f"the quote contains U+{ord(char):04X} {name}",
                "delete the invisible character: a quote is the words a reader sees")
    over = marks_overflow(quote)
    if over is not None:
        return (over, f"the quote has more than {MAX_MARKS} combining marks on one character",
                "no writing system needs that many; delete them")
    q = normalize(quote)
    if not q:
        return None, "the quote is empty", "remove it or fill it in"
    if _CJK_IDEOGRAPH.search(q):
        chars = len(q.replace(" ", ""))
        if chars < MIN_CJK_CHARS:
            return (None, f"the quote is too short to check ({chars} character{'s' * (chars != 1)})",
                    f"quote at least {MIN_CJK_CHARS} characters of the source, enough to say which passage")
        return None
    words = sum(any(c.isalnum() for c in w) for w in q.split(" "))
    if (words < MIN_WORDS and len(q) < MIN_CHARS) or not words:
        return (None, f"the quote is too short to check ({words} word{'s' * (words != 1)}, "
                      f"{len(q)} character{'s' * (len(q) != 1)})",
                f"quote at least {MIN_WORDS} words or {MIN_CHARS} characters of the source, "
                "enough to say which passage")
    return None
