"""Find verbatim quotes in stored source texts, forgiving typography only.

Editors type quotes by hand: straight quotes, hyphens, single spaces. Sources
arrive with curly quotes, em dashes, NBSPs, ligatures, CRLF line ends and, in
Chinese and Japanese, lines hard-wrapped between two characters. Both sides are
compared after :func:`normalize`, which erases exactly those differences and
nothing else: case, wording, digits and compatibility forms (``⁰``, ``５``,
``①``) still have to be the source's own. Folding is for finding only: a match
is mapped back to the original characters, which are what a page shows.

A found occurrence also has to be a passage an editor could honestly quote:
whole words, inside one paragraph of the article's body, and not the crawled
header, byline or dateline (:meth:`SourceText.locate`). Everything here is
bounded: folding works on segments of at most ``MAX_MARKS`` combining marks,
and the closest-passage search of a miss looks only at windows an index of
the text's words proposes.
"""

from __future__ import annotations

import bisect
import unicodedata
from collections import Counter
from difflib import SequenceMatcher

from .read.crawled import lead_end
from .folding import CJK_RE, EDGE, JOINERS, PARAGRAPH_BREAK, PUNCT, WORD, fold, marks_overflow, nfkc_key, normalize, shown

HINT_WORDS = 60       # the longest stretch of a quote that closest() compares with the source
SIMILAR = 0.6         # below it, a miss says that no passage is similar
POSTINGS_BUDGET = 1_500  # word positions one closest() reads from the index, at most
CANDIDATES = 16       # windows the index proposes, counted exactly
SEEDS = 3             # of which the best distinct ones are compared word by word
CLIMB = 8             # words a compared window may grow or shrink by


def _key(word: str) -> str:
    """A loose word identity for the similarity search only."""
    return PUNCT.sub("", unicodedata.normalize("NFKC", word)).casefold()


def _is_word(char: str) -> bool:
    """A letter or digit of a spaced script: a quote may not start or end next to one inside a word."""
    return char.isalnum() and not CJK_RE.match(char)


def _boundary(text: str, i: int) -> bool:
    """Whether a quote may start or end at index ``i`` of the normalised text ``text``."""
    if i <= 0 or i >= len(text):
        return True
    left, right = text[i - 1], text[i]
    if unicodedata.combining(right) or unicodedata.category(right).startswith("M"):
        return False  # between a letter and its accent
    if _is_word(left) and _is_word(right):
        return False
    if left in JOINERS and i >= 2 and _is_word(text[i - 2]) and _is_word(right):
        return False  # after the apostrophe of it's, inside 2.5
    if right in JOINERS and i + 1 < len(text) and _is_word(left) and _is_word(text[i + 1]):
        return False
    return True


class SourceText:
    """A stored source text, searchable for quotes in normalised form."""

    def __init__(self, text: str, indexed: bool = False):
        """``indexed``: map every normalised character to its place in the text now (one
        pass), rather than on the first quote found (a second pass)."""
        self.text = text
        # A text no quote can be checked against: more combining marks on a character than any script uses.
        self.problem = marks_overflow(text)
        if self.problem is not None:
            text = ""  # nothing is searched in it: not worth folding
        if indexed:
            self.normalized, self._starts, self._ends = fold(text, True)
        else:
            self.normalized = normalize(text)
            self._starts = self._ends = None  # built on the first hit only
        self._words = None  # built on the first closest() only
        self._regions = None  # built on the first hit only
        self.work = 0  # index positions read by closest(), summed: what bounds the cost of a miss
        self._located: dict[str, tuple[int, int] | None] = {}  # quote -> span: a sheet edit re-checks few
        self._refused: dict[str, int | None] = {}  # quote -> its first occurrence that may not be quoted

    def _span(self, i: int, n: int) -> tuple[int, int]:
        if self._starts is None:
            norm, self._starts, self._ends = fold(self.text if self.problem is None else "", True)
            assert norm == self.normalized
        return self._starts[i], self._ends[i + n - 1]

    def _find(self, q: str, step: int):
        i = self.normalized.find(q) if q else -1
        while i != -1:
            yield i
            i = self.normalized.find(q, i + step)

    def regions(self) -> tuple[int, list[int], list[int]]:
        """``(lead, starts, ends)``: where the article's own words begin (after a crawled
        header line, byline and dateline), and the paragraphs of the text."""
        if self._regions is None:
            text = self.text
            starts, ends, pos = [], [], 0
            for m in PARAGRAPH_BREAK.finditer(text):
                starts.append(pos)
                ends.append(m.start())
                pos = m.end()
            starts.append(pos)
            ends.append(len(text))
            self._regions = (lead_end(text), starts, ends)
        return self._regions

    def _refusal(self, i: int, n: int, span: tuple[int, int]) -> tuple[str, int] | None:
        """Why the occurrence at normalised ``i`` (``n`` long) may not be quoted, if it may not:
        ``(reason, index)`` with reason 'start', 'end', 'lead' or 'paragraphs'."""
        st, en, j = self._starts, self._ends, i + n - 1
        if not _boundary(self.normalized, i) or (i > 0 and en[i - 1] > st[i]):
            return "start", i  # inside a word, or inside one source character (the "ine" of "ﬁne")
        if not _boundary(self.normalized, i + n) or (j + 1 < len(st) and en[j] > st[j + 1]):
            return "end", i + n
        lead, starts, ends = self.regions()
        if span[0] < lead:
            return "lead", i
        k = bisect.bisect_right(starts, span[0]) - 1
        if span[1] > ends[k]:
            return "paragraphs", i
        return None

    def locate(self, quote: str) -> tuple[int, int] | None:
        """Span in the original text of the first occurrence of the quote that may be quoted:
        whole words, within one paragraph of the body, after any crawled header and dateline."""
        if quote in self._located:
            return self._located[quote]
        q, found, refused = normalize(quote), None, None
        for i in self._find(q, 1):
            span = self._span(i, len(q))
            if self._refusal(i, len(q), span) is None:
                found = span
                break
            refused = i if refused is None else refused
        self._located[quote] = found
        self._refused[quote] = refused
        return found

    def locate_all(self, quote: str) -> list[tuple[int, int]]:
        """Spans of every non-overlapping occurrence, left to right, whether or not it may be quoted."""
        q = normalize(quote)
        return [self._span(i, len(q)) for i in self._find(q, len(q))]

    def shown(self, span: tuple[int, int]) -> str:
        return shown(self.text[span[0]:span[1]])

    def explain(self, quote: str) -> tuple[str, str]:
        """Why a quote that :meth:`locate` did not find is not there, for an error:
        ``(message, hint)``, the message with ``{source}`` where the source is to be named."""
        q = normalize(quote)
        if quote not in self._refused:
            self.locate(quote)
        i = self._refused[quote]
        if i is not None:  # the first occurrence, and why it may not be quoted
            reason, at = self._refusal(i, len(q), self._span(i, len(q)))
            if reason in ("start", "end"):
                word = self._word_at(at - (reason == "end"))
                whole = self.shown(self._span(*self._widen(i, len(q))))
                side = "starts" if reason == "start" else "ends"
                return (f"quote {side} inside the word \"{word}\" of {{source}}", f"quote whole words: \"{whole}\"")
            if reason == "lead":
                return ("quote takes in the crawled header, byline or dateline of {source}",
                        "quote the article's own words, which start after its dateline")
            if reason == "paragraphs":
                return ("quote runs across two paragraphs of {source}",
                        "a quote stays within one paragraph: cite each paragraph with its own quote")
        passage, similarity, s, e = self._closest(quote)
        if passage and nfkc_key(quote) in nfkc_key(self.normalized[max(0, s - 40):e + 40]):
            return ("quote matches {source} only if its digits, superscripts or compatibility "
                    "characters are read as other characters",
                    f"write the source's own characters: \"{passage}\"")
        if similarity < SIMILAR:
            return ("quote not found in {source}",
                    "no passage of the source is similar; check the source id, and copy the words from its text")
        return ("quote not found in {source}", f"the closest passage ({similarity:.0%} similar) is: \"{passage}\"")

    def _word_at(self, i: int) -> str:
        """The whole word of the normalised text around index ``i``, in the source's own characters."""
        return self.shown(self._span(*self._widen(i, 1)))

    def _widen(self, i: int, n: int) -> tuple[int, int]:
        """``(start, length)`` of normalised ``[i, i + n)`` grown to word boundaries."""
        a, b, norm = i, i + n, self.normalized
        while not _boundary(norm, a):
            a -= 1
        while not _boundary(norm, b):
            b += 1
        return a, b - a

    def _focus(self, q: str) -> str:
        """At most HINT_WORDS words of a long quote, centred where it stops matching the source.

        The search below is quadratic in the quote's length (400 words: seconds per
        quote), and for a long quote the place where it departs from the source is
        what the editor needs to see. Every prefix of a found prefix is found, so a
        binary search finds the first word that breaks the match.
        """
        ends = [m.end() for m in WORD.finditer(q)]
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

    def _index(self):
        """The text's words: their spans, their keys, and where each key occurs."""
        if self._words is None:
            found = list(WORD.finditer(self.normalized))
            keys = [_key(m.group()) for m in found]
            where: dict[str, list[int]] = {}
            for i, k in enumerate(keys):
                where.setdefault(k, []).append(i)
            self._words = [m.span() for m in found], keys, where
        return self._words

    def _seeds(self, qkeys: list[str], n: int) -> list[int]:
        """Up to SEEDS distinct window starts sharing most words with the quote.

        The quote's rarest words vote, from the index, for the windows they would fall in,
        reading at most POSTINGS_BUDGET positions: a miss costs the same against a 2 MB
        text as against a short one. The CANDIDATES best-voted windows are then counted
        exactly. (A quote whose every word is misspelt gets no votes: no similar passage.)
        """
        _, keys, where = self._index()
        first: dict[str, int] = {}
        for j, k in enumerate(qkeys):
            first.setdefault(k, j)
        votes: Counter[int] = Counter()
        budget = POSTINGS_BUDGET
        for k in sorted(first, key=lambda k: len(where.get(k, ()))):
            positions = where.get(k, ())
            if budget <= 0:
                break
            if positions:
                offset, read = first[k], positions[:budget]
                votes.update([p - offset for p in read])
                budget -= len(read)
                self.work += len(read)
        if not votes:
            return []
        want, last = Counter(qkeys), len(keys) - n

        def shared(i: int) -> int:
            return sum((Counter(keys[i:i + n]) & want).values())

        starts = {max(0, min(i, last)) for i, _ in votes.most_common(CANDIDATES)}
        seeds: list[int] = []
        for _, i in sorted((-shared(i), i) for i in starts):
            if all(abs(i - j) > n // 2 for j in seeds):
                seeds.append(i)
                if len(seeds) == SEEDS:
                    break
        return seeds

    def closest(self, quote: str) -> tuple[str, float]:
        return self._closest(quote)[:2]

    def _closest(self, quote: str) -> tuple[str, float, int, int]:
        """The passage most like the quote and its similarity in [0, 1], for an
        error message that shows the editor what the source actually says.

        Candidate windows of the quote's word count come from :meth:`_seeds`; they
        are grown or shrunk a word at a time while that makes them share more words with
        the quote (cheap), and the best cut is judged on characters (difflib). The passage is cut
        on word boundaries and shown in the source's own characters.
        """
        q = self._focus(normalize(quote))
        spans, keys, _ = self._index()
        qkeys = [_key(w) for w in WORD.findall(q)]
        if not qkeys or not keys:
            return "", 0.0, 0, 0
        n = min(len(qkeys), len(keys))
        seeds = self._seeds(qkeys, n)
        if not seeds:
            return "", 0.0, 0, 0

        want = Counter(qkeys)
        cache: dict[tuple[int, int], float] = {}

        def score(i: int, j: int) -> float:
            """Words in common (as multisets: difflib on words costs too much for every move)."""
            if (i, j) not in cache:
                cache[i, j] = 2 * sum((Counter(keys[i:j]) & want).values()) / (j - i + len(qkeys))
            return cache[i, j]

        cur = max((score(i, i + n), i, i + n) for i in seeds)  # only the best seed is climbed
        for _ in range(CLIMB):  # a quote rarely differs by more words than this
            _, a, b = cur
            moves = [(a - 1, b), (a + 1, b), (a, b - 1), (a, b + 1)]
            moves = [(x, y) for x, y in moves if 0 <= x < y <= len(keys)]
            nxt = max(((score(x, y), x, y) for x, y in moves), default=cur)
            if nxt[0] <= cur[0]:
                break
            cur = nxt
        _, a, b = cur

        return self._judge(q, qkeys, a, b, score)

    def _judge(self, q: str, qkeys: list[str], a: int, b: int, score) -> tuple[str, float, int, int]:
        """The best cut around words [a, b) of the text, judged on characters.

        Among near-equal cuts prefer the one that covers most of the quote: the editor
        should see what the source says in place of the changed words, not only the
        words both share. Only the chosen cuts are judged on characters (difflib on
        characters costs a millisecond or more a call)."""
        spans, keys, _ = self._index()
        cuts = {(x, y): (round(score(x, y) * (y - x + len(qkeys)) / 2), -abs(y - x - len(qkeys)))
                for x in range(max(0, a - 2), a + 1) for y in range(b, min(len(keys), b + 2) + 1) if x < y}
        best = max(cuts.values())  # most words in common, then the closest in length; ties judged on characters
        judged = []
        for (x, y), rank in cuts.items():
            if rank == best:
                s, e = spans[x][0], spans[y - 1][1]
                if q[:1] not in EDGE:  # trim punctuation the quote does not have
                    while s < e and self.normalized[s] in EDGE:
                        s += 1
                if q[-1:] not in EDGE:
                    while e > s and self.normalized[e - 1] in EDGE:
                        e -= 1
                if s < e:
                    judged.append((SequenceMatcher(None, self.normalized[s:e], q, autojunk=False).ratio(), -s, e))
        if not judged:
            return "", 0.0, 0, 0
        ratio, s, e = max(judged)
        s = -s
        return self.shown(self._span(s, e - s)), ratio, s, e
