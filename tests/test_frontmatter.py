"""Front matter split from the body, keeping the file's line numbers."""

from __future__ import annotations

import pytest

from sitegen.read import frontmatter
from sitegen.errors import ContentError


def test_no_front_matter():
    parts = frontmatter.split("# Title\n\nText.\n", "a.md")
    assert (parts.front, parts.front_line, parts.body, parts.body_line) == (None, 1, "# Title\n\nText.\n", 1)


def test_front_matter_and_body_lines():
    text = "---\ntitle: T\nsummary: S\n---\nFirst body line\nSecond\n"
    parts = frontmatter.split(text, "a.md")
    assert parts.front == "title: T\nsummary: S\n"
    assert parts.front_line == 2
    assert parts.body == "First body line\nSecond\n"
    assert parts.body_line == 5
    assert text.split("\n")[parts.body_line - 1] == "First body line"


def test_closing_with_dots_and_trailing_spaces():
    parts = frontmatter.split("---  \ntitle: T\n...\nBody\n", "a.md")
    assert (parts.front, parts.body, parts.body_line) == ("title: T\n", "Body\n", 4)


def test_empty_front_matter():
    parts = frontmatter.split("---\n---\nBody\n", "a.md")
    assert (parts.front, parts.body_line) == ("\n", 3)


def test_a_later_rule_is_body():
    parts = frontmatter.split("---\na: 1\n---\nText\n\n---\n\nMore\n", "a.md")
    assert parts.body == "Text\n\n---\n\nMore\n"


def test_never_closed():
    with pytest.raises(ContentError) as info:
        frontmatter.split("---\ntitle: T\n\nBody without the closing line\n", "content/sheets/a.md")
    assert [d.format() for d in info.value.diagnostics] == [
        "content/sheets/a.md:1:1: error: front matter starts on line 1 but is never closed\n"
        "  hint: did you forget to add a '---' line after the front matter?"]


def test_crlf_is_handled_by_the_loader(tiny_site):
    """The loader turns CRLF into LF before splitting, so lines and values come out right."""
    site = tiny_site({"content/sheets/crlf.md": (
        b"---\r\ntitle: Windows\r\nsummary: S\r\nas_of: 2024-05-03\r\ntopics: [nowhere]\r\n---\r\n"
        b"Line one\r\nLine two [@gazette-pier \"four hundred pounds\"]\r\n")})
    with pytest.raises(ContentError) as info:
        site.check()
    assert [d.format() for d in info.value.diagnostics] == [
        "content/sheets/crlf.md:5:10: error: unknown topic 'nowhere'\n  hint: add it to data/topics.yml"]

    site.write({"content/sheets/crlf.md": b"---\r\ntitle: Windows\r\nsummary: S\r\nas_of: 2024-05-03\r\n---\r\n"
                                          b"Line one\r\nLine two [@nowhere]\r\n"})
    with pytest.raises(ContentError) as info:
        site.check()
    assert [d.format() for d in info.value.diagnostics] == [
        "content/sheets/crlf.md:7:10: error: unknown source 'nowhere'\n  hint: add it under sources/ (sitegen import FILE)"]

    site.write({"content/sheets/crlf.md": b"---\r\ntitle: Windows\r\nsummary: S\r\nas_of: 2024-05-03\r\n---\r\n"
                                          b"Line one\r\nLine two\r\n"})
    loaded = site.check().site.content.sheets["crlf"]
    assert (loaded.title, loaded.body, loaded.body_line) == ("Windows", "Line one\nLine two\n", 6)
