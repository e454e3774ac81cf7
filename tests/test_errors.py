"""The definitions every reader shares: the UTF-8 error position and the shown path."""

from __future__ import annotations

from pathlib import Path

import pytest

from sitegen import model
from sitegen.errors import shown_path, utf8_problem


def problem(raw: bytes) -> tuple[int, int, str]:
    with pytest.raises(UnicodeDecodeError) as info:
        raw.decode("utf-8")
    return utf8_problem(raw, info.value)


def test_utf8_problem_counts_characters_not_bytes():
    assert problem(b"one\ncaf\xc3\xa9 \xe9") == (2, 6, "file is not valid UTF-8 (byte 0xe9 at offset 10)")


def test_utf8_problem_does_not_count_a_bom():
    assert problem(b"\xef\xbb\xbfab\xff") == (1, 3, "file is not valid UTF-8 (byte 0xff at offset 5)")
    assert problem(b"\xff\xfeu\x00") == (1, 1, "file is not valid UTF-8 (byte 0xff at offset 0)")  # UTF-16


def test_utf8_problem_of_a_cut_character_at_the_end():
    assert problem(b"ab\n\xe4\xb8") == (2, 1, "file is not valid UTF-8 (byte 0xe4 at offset 3)")


@pytest.mark.parametrize("path, shown", [
    ("/p/site/content/a.md", "content/a.md"), ("/p/site", "."), ("/p/site2/a.md", "/p/site2/a.md"),
    ("/elsewhere/a.md", "/elsewhere/a.md"),
])
def test_shown_path(path, shown):
    assert shown_path(Path(path), Path("/p/site")) == shown
    assert shown_path(path, "/p/site") == shown  # text works as well as paths


def test_shown_path_under_a_root_written_with_a_slash():
    assert shown_path("/p/site/content/a.md", "/p/site/") == "content/a.md"


def test_source_kinds_and_rights_are_one_mapping_each():
    assert model.SOURCE_KINDS == tuple(model.SOURCE_KIND_NAMES) and "news" in model.SOURCE_KINDS
    assert model.RIGHTS == tuple(model.RIGHTS_NAMES)
    assert model.ID_RE.pattern == r"\A[a-z0-9]+(?:-[a-z0-9]+)*\Z"
    assert model.ID_WORD_RE.findall("us-2024 x_y") == ["us", "2024", "x", "y"]
