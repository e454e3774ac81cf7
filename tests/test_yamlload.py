"""Safe YAML with positions: duplicate keys, aliases and unsafe tags refused; every value located."""

from __future__ import annotations

import datetime as dt

import pytest

from sitegen.read import yamlload
from sitegen.errors import ContentError
from sitegen.read.yamlload import YList, YMap


def error(text: str, line_offset: int = 0) -> str:
    with pytest.raises(ContentError) as info:
        yamlload.load(text, "f.yml", line_offset=line_offset)
    assert len(info.value.diagnostics) == 1
    return info.value.diagnostics[0].format()


def test_duplicate_key_names_both_lines():
    assert error("title: A\nsummary: S\ntitle: B\n") == (
        "f.yml:3:1: error: duplicate key 'title' (first defined on line 1)\n"
        "  hint: remove one of the two entries; YAML keeps only one of them")


def test_duplicate_key_in_nested_mapping_with_offset():
    assert error("key_facts:\n  - text: a\n    cite: x\n    text: b\n", line_offset=1) == (
        "f.yml:5:5: error: duplicate key 'text' (first defined on line 3)\n"
        "  hint: remove one of the two entries; YAML keeps only one of them")


ALIAS = ("f.yml:1:4: error: YAML anchors and aliases (&name, *name) are not allowed in content\n"
         "  hint: write the value out in full instead of using &anchor and *alias")


@pytest.mark.parametrize("text", [
    "a: &x [1, 2]\nb: *x\n",            # a collection
    "a: &x text\nb: *x\n",              # a scalar
    "a: &x {k: 1}\nb:\n  '<<': *x\n",   # a quoted << is a plain key, its value an alias
])
def test_aliases_are_refused(text):
    assert error(text).split("\n")[0].split(": error: ")[1] == ALIAS.split("\n")[0].split(": error: ")[1]
    assert error(text).startswith("f.yml:1:")


def test_collection_alias_points_at_the_anchor():
    assert error("a: &x [1, 2]\nb: *x\n") == ALIAS


def test_billion_laughs_is_refused_quickly():
    laughs = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
    for n in range(ord("b"), ord("j")):
        prev = chr(n - 1)
        laughs += f"{chr(n)}: &{chr(n)} [" + ", ".join([f"*{prev}"] * 9) + "]\n"
    assert "aliases" in error(laughs)


def test_an_anchor_without_alias_is_harmless():
    assert yamlload.load("a: &x 1\n", "f.yml") == {"a": "1"}


def test_positions_of_keys_values_and_items():
    data = yamlload.load("title: T\ntopics: [a, b]\nfacts:\n  - text: x\n    cite: y\n", "f.yml", line_offset=1)
    assert isinstance(data, YMap)
    assert data.start == (2, 1)
    assert data.mark("title", of_value=False) == (2, 1)
    assert data.mark("title") == (2, 8)
    assert data.mark("topics") == (3, 9)
    assert isinstance(data["topics"], YList)
    assert data["topics"].mark(0) == (3, 10)
    assert data["topics"].mark(1) == (3, 13)
    assert data["facts"][0].mark("cite") == (6, 11)
    assert data["facts"][0].mark("cite", of_value=False) == (6, 5)
    # an unknown key points at the mapping itself
    assert data.mark("missing") == (2, 1)
    assert data["topics"].mark(9) == (3, 9)


def test_plain_values_are_typed():
    data = yamlload.load("d: 2024-12-20\nn: 50\nq: \"50\"\nb: true\nm: 2019-05\n", "f.yml")
    assert data == {"d": dt.date(2024, 12, 20), "n": "50", "q": "50", "b": True, "m": "2019-05"}


@pytest.mark.parametrize("typed", [
    "12:30",      # YAML 1.1: sexagesimal 750
    "017",        # octal 15
    "3.50",       # float 3.5
    "0x1F",       # hexadecimal 31
    "+50",        # 50
    ".inf",       # inf
    "1.5e+3",     # 1500.0
    "1_000",      # 1000
    "0b101",      # 5
    ".nan", "-.inf", "50", "-7", "0o17", "1e3",
])
def test_a_number_is_the_text_typed(typed):
    """No content field is a number: YAML's number forms must not rewrite what the editor typed."""
    data = yamlload.load(f"value: {typed}\nlist: [{typed}]\n", "f.yml")
    assert data == {"value": typed, "list": [typed]}
    assert type(data["value"]) is str


@pytest.mark.parametrize("typed", ["NO", "no", "No", "yes", "Yes", "on", "off", "OFF", "y", "n",
                                   "True", "TRUE", "False", "FALSE", "Null", "NULL", "=", "<<"])
def test_only_lowercase_true_false_and_null_are_not_text(typed):
    """`countries: [NO]` is Norway and `status: off` is the word off, not YAML 1.1's False."""
    assert yamlload.load(f"a: {typed}\nb: [{typed}]\n", "f.yml") == {"a": typed, "b": [typed]}


def test_true_false_null_and_dates_keep_their_meaning():
    data = yamlload.load("t: true\nf: false\nn: null\ntilde: ~\nempty:\nd: 2024-12-20\n"
                         "when: 2024-12-20 10:00:00\n", "f.yml")
    assert data == {"t": True, "f": False, "n": None, "tilde": None, "empty": None,
                    "d": dt.date(2024, 12, 20), "when": dt.datetime(2024, 12, 20, 10, 0)}


def test_keys_are_the_text_typed():
    """A key is a name: an entity id `no`, a topic `2024`, a field `true` is the text typed."""
    data = yamlload.load("no: a\n2024: b\ntrue: c\n2024-12-20: d\n~: e\n", "f.yml")
    assert list(data) == ["no", "2024", "true", "2024-12-20", "~"]
    assert data.mark("2024", of_value=False) == (2, 1)
    assert "duplicate key 'true'" in error('true: a\n"true": b\n')


def test_a_merge_key_is_refused_even_without_an_alias():
    """YAML 1.1's `<<` would copy the fields of a mapping in silently."""
    assert error("a:\n  j: 2\n  <<: {k: 1}\n") == ("f.yml:3:3: error: YAML merge keys (<<) are not allowed in content\n"
                                                 "  hint: write the fields out in full")
    assert error("a: &x {k: 1}\nb:\n  <<: *x\n").startswith("f.yml:3:3: error: YAML merge keys (<<) are not allowed")
    assert yamlload.load("a:\n  '<<': {k: 1}\n", "f.yml") == {"a": {"<<": {"k": "1"}}}  # quoted: a key
    assert yamlload.load("a: <<\n", "f.yml") == {"a": "<<"}


def test_values_that_are_not_text_remember_how_they_were_written():
    data = yamlload.load("d: 2024-12-20\nb: true\nn: ~\nt: text\nl: [a, \"b\", false, 中文]\n"
                         "m: {k: v}\nx: !!float 3.50   # a comment\nblock:\n  - 1\n", "f.yml", line_offset=3)
    assert (data.written("d"), data.written("b"), data.written("n"), data.written("t")) == (
        "2024-12-20", "true", "~", None)
    assert data.written("l") == '[a, "b", false, 中文]'
    assert data["l"].written(2) == "false" and data["l"].written(0) is None
    assert data.written("m") == "{k: v}"
    assert data.written("x") == "!!float 3.50"
    assert data.written("block") == "- 1"
    assert data.mark("x") == (10, 4)


def test_mkdocs_yml_keeps_yaml_1_1_as_mkdocs_reads_it():
    """mkdocs.yml is also read by MkDocs itself: the same file must mean the same settings."""
    data = yamlload.load("a: 0x1F\nb: yes\nc: 12:30\nd: off\n", "mkdocs.yml", env=True)
    assert data == {"a": 31, "b": True, "c": 750, "d": False}


def test_impossible_date_is_kept_as_text():
    data = yamlload.load("as_of: 2024-02-30\n", "f.yml")
    assert data["as_of"] == "2024-02-30"
    assert isinstance(data["as_of"], str)


@pytest.mark.parametrize("text, tag", [
    ("a: !!python/object/apply:os.system ['echo hi']\n", "!!python/object/apply:os.system"),
    ("a: !!python/name:os.system\n", "!!python/name:os.system"),
    ("a: !custom value\n", "!custom"),
    ("a: !ENV HOME\n", "!ENV"),  # !ENV belongs to mkdocs.yml only
])
def test_unsafe_and_unknown_tags_are_refused(text, tag):
    assert error(text) == (
        f"f.yml:1:4: error: unsupported YAML tag '{tag}'\n"
        "  hint: sitegen loads YAML safely: use plain strings, numbers, dates, lists and mappings")


def test_syntax_error_with_hint_and_offset():
    assert error("title: China: a summary\n", line_offset=1) == (
        "f.yml:2:13: error: invalid YAML: mapping values are not allowed in this context\n"
        "  hint: a value containing ': ' must be put in quotes")


@pytest.mark.parametrize("text, opened", [
    ("title: [A list\nsummary: S\n", "the '[' opened on line 2, column 8"),
    ("title: {a: 1\nsummary: S\n", "the '{' opened on line 2, column 8"),
    ("title: \"Open quote\nsummary: S\n", "the quote opened on line 2, column 8"),
])
def test_unclosed_brackets_and_quotes_say_where_they_opened(text, opened):
    assert error(text, line_offset=1).endswith(
        f"\n  hint: {opened} is never closed: close it, or put the whole value in quotes")


def test_tab_indentation_hint():
    assert error("a:\n\tb: 1\n").startswith("f.yml:2:1: error: invalid YAML: found character that cannot start any token")


def test_unhashable_key():
    assert error("? [a, b]\n: 1\n") == "f.yml:1:3: error: a mapping key must be a plain value"


def test_control_character():
    assert error("a: \x07\n").startswith("f.yml:1:4: error: invalid YAML: unacceptable character #x0007")


def test_env_only_with_env_flag(monkeypatch):
    monkeypatch.setenv("SITEGEN_TEST_VALUE", "8000")
    assert yamlload.load("port: !ENV SITEGEN_TEST_VALUE\n", "mkdocs.yml", env=True) == {"port": 8000}
    monkeypatch.delenv("SITEGEN_TEST_VALUE")
    assert yamlload.load("port: !ENV [SITEGEN_TEST_VALUE, 2024-01-02]\n", "mkdocs.yml", env=True) == {
        "port": dt.date(2024, 1, 2)}
    assert yamlload.load("port: !ENV SITEGEN_TEST_VALUE\n", "mkdocs.yml", env=True) == {"port": None}


def test_empty_document_is_none():
    assert yamlload.load("", "f.yml") is None
    assert yamlload.load("# only a comment\n", "f.yml") is None


DEPTH_MESSAGE = ("error: YAML nested more than 50 levels deep (lists and mappings inside one another)\n"
                 "  hint: flatten the data: content needs only a few levels")


@pytest.mark.parametrize("depth", [51, 999, 1001, 5000, 100000])
def test_deep_flow_nesting_gets_sitegens_message_whatever_libyaml_limits(depth):
    """libyaml 0.2.6 (PyYAML 6.0.4) stops near 1,000 levels with a bare 'exceeded maximum nesting
    depth' found 1,000 characters further on; the editor must still get sitegen's message at level 51."""
    assert error("countries: " + "[" * depth + "\n") == "f.yml:1:61: " + DEPTH_MESSAGE


def test_deep_block_nesting_gets_sitegens_message():
    text = "".join("  " * level + f"k{level}:\n" for level in range(3000)) + "  " * 3000 + "end: 1\n"
    assert error(text) == "f.yml:51:101: " + DEPTH_MESSAGE


def test_a_syntax_error_in_a_text_with_many_openers_is_reported_not_swallowed():
    text = "items:\n" + "".join(f"  - [{n}]\n" for n in range(60)) + "title: China: a summary\n"
    assert error(text) == ("f.yml:62:13: error: invalid YAML: mapping values are not allowed in this context\n"
                           "  hint: a value containing ': ' must be put in quotes")
