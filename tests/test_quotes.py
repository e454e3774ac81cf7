"""Quotes must match through typography but not through wording or case, and
spans must point at exactly the original characters that were quoted."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, strategies as st

from sitegen.quotes import SourceText, normalize

REPO = Path(__file__).resolve().parents[1]
SEED_CANDIDATES = [
    REPO / "content/sources/xinhua-2024-12-20-fm-briefing.txt",
    REPO.parent / "shared/seeds/000_f5c579eb713ad8c1.txt",
]
QUOTE_1 = "officially schedule fentanyl-related substances as a class"
QUOTE_2 = "scheduled over 50 controlled substances"


@pytest.fixture(scope="module")
def seed() -> str:
    """The real Xinhua briefing, as the build would read it (bytes, BOM removed)."""
    for path in SEED_CANDIDATES:
        if path.exists():
            return path.read_bytes().decode("utf-8-sig")
    pytest.fail(f"no seed text at any of {SEED_CANDIDATES}")


def span_text(source: SourceText, quote: str) -> str | None:
    span = source.locate(quote)
    return None if span is None else source.text[span[0] : span[1]]


# --- normalize ---------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("\u201cHi,\u201d she said", '"Hi," she said'),
        ("it\u2019s \u2018ok\u2019 \u201akind\u201b", "it's 'ok' 'kind'"),
        ("\u00abbonjour\u00bb \u201egut\u201f", '"bonjour" "gut"'),
        ("6\u2033 tall", '6" tall'),  # NFKC alone would give two primes
        ("a\u2013b\u2014c\u2012d\u2010e\u2011f\u2015g\u2212h", "a-b-c-d-e-f-g-h"),
        ("a\u00a0b\u2009c\u3000d", "a b c d"),
        ("  one\r\n\r\n\ttwo  \n", "one two"),
        ("\ufb01ne \ufb02ow", "fine flow"),
        ("\uff21\uff22\uff23 \u2460 5\u2070", "\uff21\uff22\uff23 \u2460 5\u2070"),  # compatibility forms kept
        ("\u4e2d\u56fd\n\u653f\u5e9c", "\u4e2d\u56fd\u653f\u5e9c"),  # a hard wrap between CJK characters
        ("\u4e2d\r\n  \u56fd\uff0c\n\u653f", "\u4e2d\u56fd,\u653f"),
        ("\u4e2d\u56fd \u653f\u5e9c", "\u4e2d\u56fd \u653f\u5e9c"),  # a space is not a line break
        ("\u8868\u793a\uff0c\uff08\u6e21\u8f6e\uff09\uff01 \uff21\uff11", "\u8868\u793a,(\u6e21\u8f6e)! \uff21\uff11"),
        ("\u4e2d\nChina\nis", "\u4e2d China is"),
        ("cafe\u0301", "caf\u00e9"),
        ("CaSe KePt", "CaSe KePt"),
    ],
)
def test_normalize(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


@given(st.text())
def test_normalize_is_idempotent(text: str) -> None:
    once = normalize(text)
    assert normalize(once) == once


# --- locate --------------------------------------------------------------------


def test_curly_and_straight_quotes_match_both_ways() -> None:
    curly = SourceText("He said \u201cwe\u2019re done\u201d today.")
    assert span_text(curly, '"we\'re done"') == "\u201cwe\u2019re done\u201d"
    straight = SourceText('He said "we\'re done" today.')
    assert span_text(straight, "\u201cwe\u2019re done\u201d") == '"we\'re done"'


def test_dashes_match_hyphen() -> None:
    source = SourceText("fentanyl\u2013related \u2014 and more")
    assert span_text(source, "fentanyl-related - and") == "fentanyl\u2013related \u2014 and"


def test_nbsp_and_newline_runs_match_one_space() -> None:
    source = SourceText("the\u00a0first country\n  in the\tworld")
    assert span_text(source, "the first country in the world") == source.text


def test_crlf_text() -> None:
    source = SourceText("line one\r\nline two\r\n\r\nline three\r\n")
    assert span_text(source, "one line two") == "one\r\nline two"


def test_nfkc_ligature() -> None:
    source = SourceText("the \ufb01nal word")
    assert span_text(source, "final word") == "\ufb01nal word"
    assert span_text(source, "\ufb01nal") == "\ufb01nal"


def test_composed_and_decomposed_accents_match() -> None:
    source = SourceText("un caf\u00e9 et un cafe\u0301 noir")
    assert source.locate_all("caf\u00e9") == [(3, 7), (14, 19)]
    assert span_text(source, "cafe\u0301 noir") == "cafe\u0301 noir"


def test_case_difference_does_not_match() -> None:
    source = SourceText("China will continue the cooperation")
    assert source.locate("china will continue") is None
    assert source.locate("China Will Continue") is None


def test_different_wording_does_not_match() -> None:
    assert SourceText("China will continue").locate("China shall continue") is None


@pytest.mark.parametrize("blank", ["", "   ", "\r\n\t\u00a0"])
def test_blank_quote_is_not_found(blank: str) -> None:
    source = SourceText("some text with spaces")
    assert source.locate(blank) is None
    assert source.locate_all(blank) == []


@pytest.mark.parametrize(
    "text, quote, expected",
    [
        ("say  \u201chello\u201d  there", '"hello"', "\u201chello\u201d"),
        ("a  b\r\n  c  d", "b c", "b\r\n  c"),
        ("x\r\n  alpha \r\n beta\u00a0\u00a0gamma  \r\n", "alpha beta gamma", "alpha \r\n beta\u00a0\u00a0gamma"),
        ("  \u00a0lead", "lead", "lead"),
        ("tail\r\n\r\n", " tail \n", "tail"),
        ("A \ufb01\u00a0\u2014\u00a0z", "fi - z", "\ufb01\u00a0\u2014\u00a0z"),
    ],
)
def test_span_is_exactly_the_quoted_original(text: str, quote: str, expected: str) -> None:
    start, end = SourceText(text).locate(quote)
    assert text[start:end] == expected


def test_a_quote_never_cuts_a_ligature_or_a_word() -> None:
    assert SourceText("\ufb01ne wine").locate("ine") is None
    assert SourceText("\ufb01ne wine").locate("fine wine") == (0, 8)
    assert SourceText("x \ufb01ne").locate("ine") is None


def test_locate_all_is_non_overlapping() -> None:
    assert SourceText("aaaa").locate_all("aa") == [(0, 2), (2, 4)]
    source = SourceText("the \u201cend\u201d\r\nthe  \"end\" the end")
    assert [source.text[s:e] for s, e in source.locate_all('the "end"')] == [
        "the \u201cend\u201d",
        'the  "end"',
    ]
    assert source.locate_all("nothing") == []


# --- the real source -------------------------------------------------------------


def test_seed_quotes_are_found(seed: str) -> None:
    source = SourceText(seed)
    for quote in (QUOTE_1, QUOTE_2):
        assert span_text(source, quote) == quote
    curly = "\u201cWe are the first country in the world to do so,\u201d Lin said"
    assert span_text(source, curly[1:]) == 'We are the first country in the world to do so," Lin said'


def test_seed_with_crlf_and_double_spaces(seed: str) -> None:
    mangled = seed.replace("\n", "\r\n").replace(" as a ", "  as\u00a0a\r\n").replace("-", "\u2013")
    source = SourceText(mangled)
    start, end = source.locate(QUOTE_1)
    assert mangled[start:end] == "officially schedule fentanyl\u2013related substances  as\u00a0a\r\nclass"
    assert normalize(mangled[start:end]) == QUOTE_1
    assert len(source.locate_all("Lin said")) == seed.count("Lin said") >= 3


def test_seed_closest_finds_the_passage_for_a_changed_word(seed: str) -> None:
    source = SourceText(seed)
    quote = QUOTE_1.replace("officially", "formally")
    assert source.locate(quote) is None
    passage, similarity = source.closest(quote)
    assert QUOTE_1 in passage
    assert len(passage) < len(QUOTE_1) + 20
    assert similarity > 0.8


def test_seed_closest_widens_for_a_dropped_word(seed: str) -> None:
    quote = "China announced in 2019 the decision to officially schedule fentanyl-related substances"
    passage, similarity = SourceText(seed).closest(quote)
    assert passage == "China announced back in 2019 the decision to officially schedule fentanyl-related substances"
    assert similarity > 0.9


def test_seed_closest_on_unrelated_text_is_low(seed: str) -> None:
    _, similarity = SourceText(seed).closest("The quick brown fox jumps over the lazy dog near the river bank")
    assert 0 <= similarity < 0.5


def test_closest_of_a_verbatim_quote_is_exact(seed: str) -> None:
    assert SourceText(seed).closest(QUOTE_2) == (QUOTE_2, 1.0)


def test_closest_of_nothing() -> None:
    assert SourceText("some text").closest("  ") == ("", 0.0)
    assert SourceText("").closest("some text") == ("", 0.0)


# --- properties ----------------------------------------------------------------

ALPHABET = st.sampled_from(
    list("abcAB -'\"") + ["\r\n", "\n", "\t", "\u00a0", "\u201c", "\u201d", "\u2019", "\u2014", "\u2013",
                          "\ufb01", "f", "i", "\u00e9", "e\u0301", "\u0301", "\u2033", "\uff41"]
)


@given(st.lists(ALPHABET, max_size=40).map("".join), st.data())
def test_located_span_normalizes_to_the_quote(text: str, data: st.DataObject) -> None:
    i = data.draw(st.integers(0, len(text)))
    j = data.draw(st.integers(i, len(text)))
    quote = text[i:j]
    span = SourceText(text).locate(quote)
    if span is not None:  # a found passage is always the quote, character for character after folding
        assert normalize(text[span[0] : span[1]]) == normalize(quote)


WORDS = st.sampled_from(["alpha", "Beta", "\ufb01ne", "caf\u00e9", "cafe\u0301", "it\u2019s", "\u201cgo\u201d",
                         "x\u2014y", "2.5", "\u4e2d\u56fd", "\u653f\u5e9c"])
GAPS = st.sampled_from([" ", "  ", "\n", "\r\n", "\u00a0", "\t"])


@given(st.lists(st.tuples(WORDS, GAPS), min_size=1, max_size=12), st.data())
def test_whole_words_of_one_paragraph_are_always_found(words, data: st.DataObject) -> None:
    text = "".join(w + g for w, g in words)
    i = data.draw(st.integers(0, len(words) - 1))
    j = data.draw(st.integers(i + 1, len(words)))
    cjk = "\u4e2d\u56fd\u653f\u5e9c"
    # Typed as one line: a space between words, none where the text wraps between two CJK characters.
    quote = words[i][0] + "".join(
        ("" if "\n" in gap and prev[-1] in cjk and w[0] in cjk else " ") + w
        for (prev, gap), (w, _) in zip(words[i:j - 1], words[i + 1:j]))
    span = SourceText(text).locate(quote)
    assert span is not None
    assert normalize(text[span[0] : span[1]]) == normalize(quote)


# --- what may be quoted (issue 11) ------------------------------------------------

from sitegen import folding, quotes  # noqa: E402
from sitegen.folding import quote_problem  # noqa: E402


@pytest.mark.parametrize("quote, message, hint", [
    ("moving of online ads", 'quote starts inside the word "removing" of {source}',
     'quote whole words: "removing of online ads"'),
    ("China has taken off", 'quote ends inside the word "offline" of {source}',
     'quote whole words: "China has taken offline"'),
    ("It is reported that Gupta said on Wednesday that since the San Francisco Summit between leaders of China "
     "and the United States, the two countries have made significant progress on the fentanyl issue. China has "
     "taken offline many websites and online platforms that sell the precursors of fentanyl, made arrests, and "
     "scheduled over 50 controlled substances, which have contributed to the drop in overdose deaths. And it's "
     "critical that the United States should sustain this progress moving forward while working on other aspects "
     "in relationship with China. When asked about the threat of tariffs on the fentanyl issue by President-elect "
     "Donald Trump, Gupta said there is no harm in keeping the pressure, and stressed the need to make sure the "
     "pressure is kept with a sense of understanding of what is already happening and the progress that is "
     "already being made. Noting China",
     "quote runs across two paragraphs of {source}",
     "a quote stays within one paragraph: cite each paragraph with its own quote"),
    ("China to continue counternarcotics cooperation with U.S.",
     "quote takes in the crawled header, byline or dateline of {source}",
     "quote the article's own words, which start after its dateline"),
    ("Xinhua) 10:46, December 20, 2024", "quote takes in the crawled header, byline or dateline of {source}",
     "quote the article's own words, which start after its dateline"),
    ("BEIJING, Dec. 19 (Xinhua) -- China will continue", "quote takes in the crawled header, byline or dateline "
     "of {source}", "quote the article's own words, which start after its dateline"),
    ("scheduled over 5\u2070 controlled substances", "quote matches {source} only if its digits, superscripts or "
     "compatibility characters are read as other characters",
     "write the source's own characters: \"scheduled over 50 controlled substances\""),
    ("Tuesday to discuss the export controls on fentanyl precursors", "quote not found in {source}",
     "no passage of the source is similar; check the source id, and copy the words from its text"),
])
def test_seed_refusals_say_why(seed: str, quote: str, message: str, hint: str) -> None:
    source = SourceText(seed)
    assert source.locate(quote) is None
    assert source.explain(quote) == (message, hint)


def test_seed_body_after_the_dateline_is_quotable(seed: str) -> None:
    source = SourceText(seed)
    assert span_text(source, "China will continue the counternarcotics cooperation") == (
        "China will continue the counternarcotics cooperation")
    assert span_text(source, "removing of online ads") == "removing of online ads"
    assert span_text(source, "China has taken offline") == "China has taken offline"


@pytest.mark.parametrize("text, quote, found", [
    ("it's done", "s done", False),                 # after an apostrophe inside a word
    ("rose 2.5 percent", "5 percent", False),        # inside a number
    ("rose 2.5 percent", "rose 2", False),
    ("fentanyl-related substances", "related substances", True),  # a part of a compound is a word
    ("x \u4e2d\u56fd\u653f\u5e9c\u8868\u793a", "\u653f\u5e9c\u8868\u793a", True),  # CJK: character boundaries
    ("\u4e2d\u56fdChina2024\u5e74", "\u56fdChina", False),  # ...but not inside a Latin word
    ("\u4e2d\u56fd2024\u5e74", "\u56fd20", False),          # ...or a number
    ("\u4e2d\u56fd2024\u5e74", "\u56fd2024", True),
])
def test_word_boundaries(text: str, quote: str, found: bool) -> None:
    assert (SourceText(text).locate(quote) is not None) == found


def test_hard_wrapped_cjk_matches_an_unwrapped_quote() -> None:
    text = "\u6e2f\u52a1\u5c40\u957f\u8868\u793a\uff0c\u6e21\u8f6e\u5c06\r\n\u4fdd\u6301\u51ac\u5b63\u65f6\u523b\u8868\u3002\n"
    source = SourceText(text)
    start, end = source.locate("\u6e21\u8f6e\u5c06\u4fdd\u6301\u51ac\u5b63")
    assert text[start:end] == "\u6e21\u8f6e\u5c06\r\n\u4fdd\u6301\u51ac\u5b63"
    assert source.shown((start, end)) == "\u6e21\u8f6e\u5c06\u4fdd\u6301\u51ac\u5b63"  # shown without the break
    assert SourceText("\u6e21\u8f6e \u4fdd\u6301").locate("\u6e21\u8f6e\u4fdd\u6301") is None  # a space stays


def test_shown_is_the_sources_own_characters() -> None:
    text = "He said \u201cwe\u2019re\r\n  done\u201d \u2014 today."
    source = SourceText(text)
    span = source.locate('"we\'re done" - today')
    assert source.shown(span) == "\u201cwe\u2019re done\u201d \u2014 today"


@pytest.mark.parametrize("quote, problem", [
    ("", (None, "the quote is empty", "remove it or fill it in")),
    ("\u00a0 \u3000\t", (None, "the quote is empty", "remove it or fill it in")),
    (",", (None, "the quote is too short to check (0 words, 1 character)",
           "quote at least 3 words or 12 characters of the source, enough to say which passage")),
    ("a", (None, "the quote is too short to check (1 word, 1 character)",
           "quote at least 3 words or 12 characters of the source, enough to say which passage")),
    ("six crossings", None),        # 2 words but 13 characters
    ("a day off", None),            # 3 words
    ("\u516d\u73ed\u3002", (None, "the quote is too short to check (3 characters)",
                            "quote at least 4 characters of the source, enough to say which passage")),
    ("\u6bcf\u5929\u516d\u73ed", None),
    ("We are the first country in the world\u200b to do so", (
        37, "the quote contains U+200B ZERO WIDTH SPACE",
        "delete the invisible character: a quote is the words a reader sees")),
    ("the \u2067first\u2069 country in the world", (
        4, "the quote contains U+2067 RIGHT-TO-LEFT ISOLATE",
        "delete the invisible character: a quote is the words a reader sees")),
    ("an e" + "\u0301" * 31 + " accent on it", (
        34, "the quote has more than 30 combining marks on one character", "no writing system needs that many; delete them")),
])
def test_quote_problems(quote: str, problem) -> None:
    assert quote_problem(quote) == problem


# --- bounds (SECURITY.md) -----------------------------------------------------------

def _big_text(seed: str, size: int) -> str:
    """Real words of the seed, shuffled into paragraphs of 80: every word occurs thousands of times."""
    import random
    rng, words, out, n = random.Random(11), seed.split(), [], 0
    while n < size:
        out.append(" ".join(rng.choice(words) for _ in range(80)))
        n += len(out[-1]) + 2
    return "\n\n".join(out)


def test_a_miss_reads_a_bounded_part_of_the_index_whatever_the_texts_size(seed: str) -> None:
    import random
    rng, words = random.Random(5), seed.split()
    misses = [" ".join(rng.choice(words) for _ in range(rng.randint(3, 20))) + " zzqx" for _ in range(100)]
    work = []
    for size in (190_000, 1_900_000):
        source = SourceText(_big_text(seed, size))
        for quote in misses:
            assert source.locate(quote) is None
            source.explain(quote)
        work.append(source.work)
    assert all(w <= len(misses) * quotes.POSTINGS_BUDGET for w in work)
    assert work[1] <= work[0] * 1.5  # ten times the text, about the same work per miss


def test_folding_segments_stay_short_in_a_flood_of_combining_marks() -> None:
    flood = ("a" + "\u0316\u0301" * 15 + " ") * 20_000 + "b" + "\u0301\u0316" * 20_000  # 680 kB
    longest = max(e - s for s, e, _, one_to_one in folding._pieces(flood) if not one_to_one)
    assert longest <= folding.MAX_MARKS + 1
    assert SourceText(flood).problem == 20_000 * 32 + 1 + folding.MAX_MARKS


def test_folding_a_flood_of_combining_marks_takes_seconds_not_minutes(tmp_path) -> None:
    # Before the bound, NFKC sorted a run of marks in quadratic time: 40,000 marks took 7.7 s, and
    # this 600 kB run would take half an hour. Run apart so that a regression fails, not hangs.
    import subprocess
    import sys
    script = ("from sitegen.quotes import SourceText, normalize\n"
              "SourceText(('a' + '\\u0316\\u0301' * 15 + ' ') * 20000, indexed=True)\n"  # legal: 30 marks each
              "flood = 'b' + '\\u0301\\u0316' * 150000\n"
              "assert SourceText(flood, indexed=True).problem == 31\n"
              "normalize(flood)\n")
    subprocess.run([sys.executable, "-c", script], cwd=REPO, check=True, timeout=60)
