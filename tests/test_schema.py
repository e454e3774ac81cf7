"""Stage 3: every field of every record is checked, and every problem is reported at its position."""

from __future__ import annotations

import datetime as dt

import pytest

from sitegen.read import schema, yamlload
from sitegen.errors import Collector
from sitegen.model import PartialDate

GOOD_SHEET = "title: T\nsummary: S\nas_of: 2024-12-20\n"
GOOD_SOURCE = "title: T\npublisher: P\npublished: 2024-12-20\n"


def sheet_problems(yaml_text: str):
    report = Collector()
    data = yamlload.load(yaml_text, "s.md", line_offset=1)  # as if after a '---' line
    sheet = schema.sheet_from_yaml("s", "s.md", data, "Body", 10, report)
    return sheet, [d.format() for d in report.items]


def source_problems(yaml_text: str):
    report = Collector()
    source = schema.source_from_yaml("src", "src.yml", yamlload.load(yaml_text, "src.yml"), report)
    return source, [d.format() for d in report.items]


def only_problem(kind, yaml_text: str) -> str:
    record, problems = kind(yaml_text)
    assert record is None
    assert len(problems) == 1, problems
    return problems[0]


def test_a_full_sheet():
    sheet, problems = sheet_problems(GOOD_SHEET + """\
review_by: 2025-06-30
status: draft
topics: [scheduling]
countries: [CN, US]
entities: [lin-jian]
key_facts:
  - text: A fact.
    cite: src-a
    quote: "the words"
figures:
  - label: Count
    value: 50
    cite: src-a
timeline:
  - date: 2019
    text: Year only.
    cite: src-a
  - date: "2019-05"
    text: Month.
    cite: src-a
  - date: 2019-05-01
    text: Day.
    cite: src-a
related: [other-sheet]
""")
    assert problems == []
    assert (sheet.title, sheet.summary, sheet.as_of, sheet.review_by) == ("T", "S", dt.date(2024, 12, 20), dt.date(2025, 6, 30))
    assert (sheet.status, sheet.topics, sheet.countries, sheet.entities) == ("draft", ("scheduling",), ("CN", "US"), ("lin-jian",))
    assert sheet.key_facts[0].cite.quote == "the words"
    assert sheet.key_facts[0].cite.pos.line == 12 and sheet.key_facts[0].cite.quote_pos.line == 13
    assert sheet.figures[0].value == "50"
    assert [e.date for e in sheet.timeline] == [PartialDate(2019), PartialDate(2019, 5), PartialDate(2019, 5, 1)]
    assert sheet.related == ("other-sheet",)
    assert (sheet.pos("topics.0").line, sheet.pos("topics.0").col) == (7, 10)
    assert (sheet.body, sheet.body_line) == ("Body", 10)


@pytest.mark.parametrize("missing, line", [("title", 2), ("summary", 2), ("as_of", 2)])
def test_missing_required_field(missing, line):
    text = "\n".join(l for l in GOOD_SHEET.splitlines() if not l.startswith(missing)) + "\n"
    assert only_problem(sheet_problems, text) == (
        f"s.md:{line}:1: error: missing required field '{missing}' in a sheet\n  hint: add a line '{missing}: ...'")


def test_unknown_field_with_did_you_mean():
    # An unknown field is reported, but the sheet is still usable for checking its references.
    sheet, problems = sheet_problems(GOOD_SHEET + "topic: [a]\n")
    assert sheet is not None
    assert problems == ["s.md:5:1: error: unknown field 'topic' in a sheet\n  hint: did you mean 'topics'?"]


def test_unknown_field_without_close_match_lists_the_fields():
    _, problems = sheet_problems(GOOD_SHEET + "colour: red\n")
    assert problems == [
        "s.md:5:1: error: unknown field 'colour' in a sheet\n  hint: the fields of a sheet are: title, summary, "
        "as_of, review_by, status, topics, countries, entities, key_facts, figures, timeline, related"]


@pytest.mark.parametrize("field, value, expected", [
    ("title", "[a, b]", "s.md:2:8: error: 'title' must be text, not a list: [a, b]\n  hint: put it in quotes: \"[a, b]\""),
    ("title", "{a: 1}", "s.md:2:8: error: 'title' must be text, not a mapping: {a: 1}\n"
                        "  hint: put it in quotes: \"{a: 1}\""),
    ("title", "true", "s.md:2:8: error: 'title' must be text, not true/false: true\n  hint: put it in quotes: \"true\""),
    ("title", "false   # no title yet", "s.md:2:8: error: 'title' must be text, not true/false: false\n"
                                        "  hint: put it in quotes: \"false\""),
    ("title", '[a "b" c]', "s.md:2:8: error: 'title' must be text, not a list: [a \"b\" c]\n"
                           "  hint: put it in quotes: '[a \"b\" c]'"),
    ("title", "[it's \"b\"]", "s.md:2:8: error: 'title' must be text, not a list: [it's \"b\"]\n"
                              "  hint: put it in quotes: \"[it's \\\"b\\\"]\""),
    ("title", "\n  - a\n  - b", "s.md:3:3: error: 'title' must be text, not a list\n"
                              "  hint: write the whole text on one line, in quotes"),
    ("title", "!!float 3.50", "s.md:2:8: error: 'title' must be text, not !!float 3.50\n"
                              "  hint: remove the tag '!!float': sitegen reads plain values as text"),
    ("title", '"  "', "s.md:2:8: error: 'title' must not be empty"),
    ("as_of", "2024-02-30", "s.md:4:8: error: 'as_of' must be a real date written YYYY-MM-DD, not '2024-02-30'\n"
                            "  hint: check the day exists in that month, e.g. 2024-12-20"),
    ("as_of", "20 Dec 2024", "s.md:4:8: error: 'as_of' must be a real date written YYYY-MM-DD, not '20 Dec 2024'\n"
                             "  hint: check the day exists in that month, e.g. 2024-12-20"),
    ("as_of", "2024-12-20 10:00:00", "s.md:4:8: error: 'as_of' must be a date without a time\n"
                                     "  hint: write it as YYYY-MM-DD"),
])
def test_wrong_type_of_a_required_field(field, value, expected):
    text = "\n".join(f"{field}: {value}" if l.startswith(field + ":") else l for l in GOOD_SHEET.splitlines()) + "\n"
    assert only_problem(sheet_problems, text) == expected


@pytest.mark.parametrize("line, expected", [
    ("review_by: soon", "s.md:5:12: error: 'review_by' must be a real date written YYYY-MM-DD, not 'soon'\n"
                        "  hint: check the day exists in that month, e.g. 2024-12-20"),
    ("status: Published", "s.md:5:9: error: 'status' must be one of published, draft, not 'Published'\n"
                          "  hint: did you mean 'published'?"),
    ("status: hidden", "s.md:5:9: error: 'status' must be one of published, draft, not 'hidden'\n"
                       "  hint: use one of: published, draft"),
    ("topics: {a: 1}", "s.md:5:9: error: 'topics' must be a list, such as [a, b]"),
    ("topics: [Scheduling]", "s.md:5:10: error: 'topics' entry 'Scheduling' must be a topic id"),
    ("countries: [cn]", "s.md:5:13: error: 'countries' entry 'cn' must be an ISO 3166-1 alpha-2 code such as CN\n"
                        "  hint: write it in capitals: CN"),
    ("entities: [Lin Jian]", "s.md:5:12: error: 'entities' entry 'Lin Jian' must be an entity id"),
    ("entities: [true]", "s.md:5:12: error: 'entities' entries must be an entity id, not true/false: true\n"
                         "  hint: put it in quotes: \"true\""),
    ("related: [a_b]", "s.md:5:11: error: 'related' entry 'a_b' must be a sheet id"),
    ("key_facts: a fact", "s.md:5:12: error: 'key_facts' must be a list of entries, each starting with '- '"),
    ("key_facts: [a fact]", "s.md:5:13: error: each entry of 'key_facts' must be a mapping with text, cite"),
    ("key_facts: [{text: T}]", "s.md:5:13: error: missing required field 'cite' in a key fact\n"
                               "  hint: add a line 'cite: ...'"),
    ("key_facts: [{text: T, cite: Xinhua 2024}]",
     "s.md:5:29: error: 'cite' must be a source id such as xinhua-2024-12-20-fm-briefing, not 'Xinhua 2024'"),
    ("key_facts: [{text: T, cite: a, qoute: q}]", "s.md:5:32: error: unknown field 'qoute' in a key fact\n"
                                                  "  hint: did you mean 'quote'?"),
    ("key_facts: [{text: T, cite: a, quote: [q]}]", "s.md:5:39: error: 'quote' must be text, not a list: [q]\n"
                                                    "  hint: put it in quotes: \"[q]\""),
    ("figures: [{label: L, cite: a}]", "s.md:5:11: error: missing required field 'value' in a figure\n"
                                       "  hint: add a line 'value: ...'"),
    ("timeline: [{date: 2019-13, text: T, cite: a}]",
     "s.md:5:19: error: 'date' must be a date written YYYY, YYYY-MM or YYYY-MM-DD, not '2019-13'\n"
     "  hint: check that the month and the day exist, e.g. 2019-05 or 2019-05-01"),
    ("timeline: [{date: 2019-02-29, text: T, cite: a}]",
     "s.md:5:19: error: 'date' must be a date written YYYY, YYYY-MM or YYYY-MM-DD, not '2019-02-29'\n"
     "  hint: check that the month and the day exist, e.g. 2019-05 or 2019-05-01"),
    ("timeline: [{date: May 2019, text: T, cite: a}]",
     "s.md:5:19: error: 'date' must be a date written YYYY, YYYY-MM or YYYY-MM-DD, not 'May 2019'\n"
     "  hint: check that the month and the day exist, e.g. 2019-05 or 2019-05-01"),
])
def test_each_optional_field_type_error(line, expected):
    assert only_problem(sheet_problems, GOOD_SHEET + line + "\n") == expected


def test_every_problem_is_reported_at_once():
    _, problems = sheet_problems("title: [x]\nas_of: 2024-02-30\ncountries: [cn, us]\n")
    assert problems == [
        "s.md:2:8: error: 'title' must be text, not a list: [x]\n  hint: put it in quotes: \"[x]\"",
        "s.md:2:1: error: missing required field 'summary' in a sheet\n  hint: add a line 'summary: ...'",
        "s.md:3:8: error: 'as_of' must be a real date written YYYY-MM-DD, not '2024-02-30'\n"
        "  hint: check the day exists in that month, e.g. 2024-12-20",
        "s.md:4:13: error: 'countries' entry 'cn' must be an ISO 3166-1 alpha-2 code such as CN\n"
        "  hint: write it in capitals: CN",
        "s.md:4:17: error: 'countries' entry 'us' must be an ISO 3166-1 alpha-2 code such as CN\n"
        "  hint: write it in capitals: US",
    ]


def test_a_full_source():
    source, problems = source_problems(GOOD_SOURCE + "url: https://example.org/a\nlanguage: zh-Hans\nkind: readout\n"
                                                     "rights: metadata-only\nretrieved: 2025-01-01\nsha256: " + "a" * 64 + "\n")
    assert problems == []
    assert (source.published, source.url, source.language, source.kind, source.rights) == (
        PartialDate(2024, 12, 20), "https://example.org/a", "zh-Hans", "readout", "metadata-only")


@pytest.mark.parametrize("line, expected", [
    ("url: javascript:alert(1)", "src.yml:4:6: error: 'url' must be an http or https URL, not 'javascript:alert(1)'\n"
                                 "  hint: write the full address, starting with https://"),
    ("url: https://example.org/a b", "src.yml:4:6: error: 'url' must be an http or https URL, not 'https://example.org/a b'\n"
                                     "  hint: write the full address, starting with https://"),
    ("language: english!", "src.yml:4:11: error: 'language' must be a BCP 47 language tag such as en or zh-Hans, not 'english!'"),
    ("kind: press", "src.yml:4:7: error: 'kind' must be one of news, statement, readout, announcement, report, "
                    "regulation, other, not 'press'\n  hint: use one of: news, statement, readout, announcement, "
                    "report, regulation, other"),
    ("rights: excerpt", "src.yml:4:9: error: 'rights' must be one of full-text, excerpts, metadata-only, not 'excerpt'\n"
                        "  hint: did you mean 'excerpts'?"),
    ("sha256: ABC", "src.yml:4:9: error: 'sha256' must be 64 lowercase hexadecimal digits, not 'ABC'"),
    ("retrieved: yesterday", "src.yml:4:12: error: 'retrieved' must be a real date written YYYY-MM-DD, not 'yesterday'\n"
                             "  hint: check the day exists in that month, e.g. 2024-12-20"),
    ("publisher: [a]", "src.yml:2:12: error: 'publisher' must be text, not a list: [a]\n"
                       "  hint: put it in quotes: \"[a]\""),
    ("publisher: no", None),  # the Norwegian word, not YAML 1.1's False
    ("publisher: true", "src.yml:2:12: error: 'publisher' must be text, not true/false: true\n"
                        "  hint: put it in quotes: \"true\""),
])
def test_each_source_field_error(line, expected):
    key = line.split(":")[0]
    lines = [l for l in GOOD_SOURCE.splitlines() if not l.startswith(key + ":")]
    if key in ("publisher",):
        lines.insert(1, line)
    else:
        lines.append(line)
    if expected is None:
        source, problems = source_problems("\n".join(lines) + "\n")
        assert problems == [] and source.publisher == line.split(": ", 1)[1]
    else:
        assert only_problem(source_problems, "\n".join(lines) + "\n") == expected


def test_source_published_may_be_partial():
    source, problems = source_problems("title: T\npublisher: P\npublished: \"2023-11\"\n")
    assert problems == [] and source.published == PartialDate(2023, 11)


def vocabulary(kind: str, text: str):
    report = Collector()
    records, positions = schema.vocabulary_from_yaml(kind, f"data/{kind}.yml", yamlload.load(text, "v.yml"), report)
    return records, positions, [d.format() for d in report.items]


def test_vocabularies():
    topics, positions, problems = vocabulary("topics", "a:\n  name: A\n  description: D\nb:\n  name: B\n")
    assert problems == [] and sorted(topics) == ["a", "b"] and positions["b"].line == 4
    entities, _, problems = vocabulary("entities", "p:\n  name: P\n  kind: person\n  aliases: [Q]\n")
    assert problems == [] and entities["p"].aliases == ("Q",)


@pytest.mark.parametrize("kind, text, expected", [
    ("topics", "Bad Id:\n  name: X\n", "data/topics.yml:1:1: error: 'Bad Id' is not a valid id\n"
                                       "  hint: use lowercase letters, digits and single hyphens"),
    ("topics", "a: text\n", "data/topics.yml:1:1: error: 'a' must be a mapping with at least 'name'"),
    ("topics", "a:\n  nam: A\n", "data/topics.yml:2:3: error: missing required field 'name' in a topic\n"
                                 "  hint: add a line 'name: ...'"),
    ("entities", "p:\n  name: P\n", "data/entities.yml:1:1: error: missing required field 'kind' in an entity\n"
                                    "  hint: add 'kind: person' or 'kind: organization'"),
    ("entities", "p:\n  name: P\n  kind: people\n", "data/entities.yml:3:9: error: 'kind' must be one of person, "
                                                    "organization, not 'people'\n  hint: use one of: person, organization"),
    ("topics", "- a\n", "data/topics.yml:1:1: error: data/topics.yml must be a mapping of id to fields"),
])
def test_vocabulary_errors(kind, text, expected):
    _, _, problems = vocabulary(kind, text)
    assert expected in problems, problems


@pytest.mark.parametrize("date, text, human, precision", [
    (PartialDate(2019), "2019", "2019", "year"),
    (PartialDate(2019, 5), "2019-05", "May 2019", "month"),
    (PartialDate(2019, 5, 1), "2019-05-01", "1 May 2019", "day"),
])
def test_partial_dates(date, text, human, precision):
    assert (str(date), date.human(), date.precision) == (text, human, precision)


def test_partial_dates_sort_year_before_its_months():
    assert sorted([PartialDate(2019, 5, 1), PartialDate(2019), PartialDate(2018, 12), PartialDate(2019, 5)]) == [
        PartialDate(2018, 12), PartialDate(2019), PartialDate(2019, 5), PartialDate(2019, 5, 1)]



# --- values are what the editor typed --------------------------------------------------------

@pytest.mark.parametrize("typed", ["12:30", "017", "3.50", "0x1F", "+50", ".inf", "1.5e+3", "50", "over 50",
                                   "2019-05-01", "2024-12-20 10:00:00", "NO", "off", "True"])
def test_a_figure_value_is_the_text_typed(typed):
    """YAML 1.1 published `12:30` as 750, `017` as 15, `3.50` as 3.5, `0x1F` as 31, `+50` as 50,
    `.inf` as inf and `1.5e+3` as 1500.0. A figure shows what the editor wrote, unquoted or not."""
    sheet, problems = sheet_problems(GOOD_SHEET + f"figures:\n  - label: L\n    value: {typed}\n    cite: a\n")
    assert problems == []
    assert sheet.figures[0].value == typed


@pytest.mark.parametrize("field", ["title", "summary"])
def test_a_date_in_a_text_field_is_the_text_typed(field):
    text = "\n".join(f"{field}: 2024-01-01" if l.startswith(field + ":") else l for l in GOOD_SHEET.splitlines())
    sheet, problems = sheet_problems(text + "\n")
    assert problems == [] and getattr(sheet, field) == "2024-01-01"


def test_norway_is_a_country():
    sheet, problems = sheet_problems(GOOD_SHEET + "countries: [NO, CN, US]\n")
    assert problems == [] and sheet.countries == ("NO", "CN", "US")
    sheet, problems = sheet_problems(GOOD_SHEET + "countries: NO\n")
    assert problems == [] and sheet.countries == ("NO",)


@pytest.mark.parametrize("code, hint", [
    ("UK", "the United Kingdom is GB (UK is only reserved in ISO 3166-1)"),
    ("EL", "Greece is GR (EL is the European Union's abbreviation, not ISO's)"),
    ("EU", "the European Union is not a country: list its member states, or name it as an entity"),
    ("uk", "the United Kingdom is GB (UK is only reserved in ISO 3166-1)"),
    ("no", "write it in capitals: NO"),
    ("ZR", "Zaire is now the Democratic Republic of the Congo: CD"),
    ("XX", "use an officially assigned ISO 3166-1 alpha-2 code, such as CN, US or GB"),
    ("XK", "use an officially assigned ISO 3166-1 alpha-2 code, such as CN, US or GB"),
    ("AA", "use an officially assigned ISO 3166-1 alpha-2 code, such as CN, US or GB"),
    ("CHN", "use an officially assigned ISO 3166-1 alpha-2 code, such as CN, US or GB"),
])
def test_a_country_code_must_be_officially_assigned(code, hint):
    """A two-letter pattern let UK, EU and XX through as countries."""
    assert only_problem(sheet_problems, GOOD_SHEET + f"countries: [CN, {code}]\n") == (
        f"s.md:5:17: error: 'countries' entry '{code}' must be an ISO 3166-1 alpha-2 code such as CN\n  hint: {hint}")


def test_every_officially_assigned_code_is_a_country():
    from sitegen.countries import ASSIGNED
    assert len(ASSIGNED) == 249 and {"CN", "US", "GB", "GR", "NO", "SS", "CW", "TW", "PS", "AQ"} <= ASSIGNED
    codes = sorted(ASSIGNED)
    sheet, problems = sheet_problems(GOOD_SHEET + f"countries: [{', '.join(codes)}]\n")
    assert problems == [] and sheet.countries == tuple(codes)


def test_an_entitys_country_must_be_officially_assigned():
    entities, _, problems = vocabulary("entities", "p:\n  name: P\n  kind: person\n  country: NO\n")
    assert problems == [] and entities["p"].country == "NO"
    _, _, problems = vocabulary("entities", "p:\n  name: P\n  kind: person\n  country: UK\n")
    assert problems == ["data/entities.yml:4:12: error: 'country' must be an ISO 3166-1 alpha-2 code, not 'UK'\n"
                        "  hint: the United Kingdom is GB (UK is only reserved in ISO 3166-1)"]


@pytest.mark.parametrize("typed", ["off", "no", "yes", "False"])
def test_a_choice_names_the_value_as_typed(typed):
    """`status: off` was reported as 'False'."""
    assert only_problem(sheet_problems, GOOD_SHEET + f"status: {typed}\n") == (
        f"s.md:5:9: error: 'status' must be one of published, draft, not '{typed}'\n"
        "  hint: use one of: published, draft")


def test_ids_typed_as_yaml_1_1_words_or_numbers_are_ids():
    """An entity `no` (a Norwegian body), a topic `2024`: the id is the text typed."""
    topics, _, problems = vocabulary("topics", "2024:\n  name: The year\nno:\n  name: No\n")
    assert problems == [] and sorted(topics) == ["2024", "no"]
    sheet, problems = sheet_problems(GOOD_SHEET + "topics: [2024, no]\n")
    assert problems == [] and sheet.topics == ("2024", "no")
