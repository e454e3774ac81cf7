"""sitegen import: crawled news text -> content/sources/<id>.txt + <id>.yml."""

from __future__ import annotations

import datetime
import hashlib
from pathlib import Path

import pytest
import yaml

from conftest import mkdocs_yml
from sitegen.errors import ContentError, UsageError
from sitegen.importer import ImportedSource, default_id, import_file, parse_crawled

SEED = Path(__file__).resolve().parents[2] / "shared" / "seeds" / "000_f5c579eb713ad8c1.txt"
SEED_ID = "xinhua-2024-12-20-china-continue-counternarcotics-cooperation"
SEED_TITLE = ("China to continue counternarcotics cooperation with U.S. on basis of equality, "
              "mutual benefit and respect: FM spokesperson")
HEADER_HINT = "\n  hint: the first line must look like ' date 2024-12-20 Title of the article'"
DATELINE_HINT = ("\n  hint: the first paragraph must begin with a dateline like "
                 "'BEIJING, Dec. 19 (Xinhua) --' or '新华社北京12月20日电'")
GOOD = b" date 2024-12-20 A title\n\nXinhua) 10:46, December 20, 2024\n\nBEIJING, Dec. 19 (Xinhua) -- Text.\n"


@pytest.fixture
def seed() -> bytes:
    if not SEED.exists():
        pytest.skip(f"seed file not found: {SEED}")
    return SEED.read_bytes()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "content" / "sources").mkdir(parents=True)
    return tmp_path


def write(tmp_path: Path, raw: bytes, name: str = "in.txt") -> Path:
    path = tmp_path / name
    path.write_bytes(raw)
    return path


def error_of(raw: bytes) -> str:
    with pytest.raises(ContentError) as info:
        parse_crawled(raw, "in.txt")
    assert len(info.value.diagnostics) == 1
    return info.value.diagnostics[0].format()


# --- the real seed --------------------------------------------------------------

def test_import_seed(tmp_path: Path, seed: bytes) -> None:
    src = write(tmp_path, seed, "seed.txt")
    result = import_file(src, tmp_path / "sources")
    assert result == ImportedSource(
        id=SEED_ID, title=SEED_TITLE, published=datetime.date(2024, 12, 20),
        publisher="Xinhua", place="BEIJING",
        txt_path=tmp_path / "sources" / f"{SEED_ID}.txt",
        yml_path=tmp_path / "sources" / f"{SEED_ID}.yml")
    assert result.txt_path.read_bytes() == seed
    yml = result.yml_path.read_bytes()
    assert yaml.safe_load(yml) == {
        "title": SEED_TITLE, "publisher": "Xinhua", "published": datetime.date(2024, 12, 20),
        "language": "en", "kind": "news", "rights": "excerpts",
        "sha256": hashlib.sha256(seed).hexdigest(),
    }
    text = yml.decode("utf-8")
    keys = [line.split(":")[0] for line in text.splitlines() if line and not line.startswith("#")]
    assert keys == ["title", "publisher", "published", "language", "kind", "rights", "sha256"]
    head = text.split("\ntitle:")[0]
    assert all(line.startswith("#") for line in head.splitlines())
    for words in ("url:", "rights", "sha256"):
        assert words in head


def test_seed_parses(seed: bytes) -> None:
    assert parse_crawled(seed, "seed.txt") == {
        "title": SEED_TITLE, "published": datetime.date(2024, 12, 20),
        "publisher": "Xinhua", "place": "BEIJING"}


def test_crlf_input_parses_and_is_kept_as_is(tmp_path: Path, seed: bytes) -> None:
    crlf = seed.replace(b"\n", b"\r\n")
    assert parse_crawled(crlf, "x") == parse_crawled(seed, "x")
    result = import_file(write(tmp_path, crlf), tmp_path / "out")
    assert result.txt_path.read_bytes() == crlf
    assert yaml.safe_load(result.yml_path.read_bytes())["sha256"] == hashlib.sha256(crlf).hexdigest()


def test_bom_tolerated_and_kept(tmp_path: Path, seed: bytes) -> None:
    raw = b"\xef\xbb\xbf" + seed
    result = import_file(write(tmp_path, raw), tmp_path / "out")
    assert result.id == SEED_ID and result.title == SEED_TITLE
    assert result.txt_path.read_bytes() == raw


def test_deterministic(tmp_path: Path, seed: bytes) -> None:
    src = write(tmp_path, seed)
    one = import_file(src, tmp_path / "a")
    two = import_file(src, tmp_path / "b")
    assert one.yml_path.read_bytes() == two.yml_path.read_bytes()
    assert one.txt_path.read_bytes() == two.txt_path.read_bytes()


# --- ids ------------------------------------------------------------------------

def test_id_override(tmp_path: Path, seed: bytes) -> None:
    result = import_file(write(tmp_path, seed), tmp_path / "out", source_id="xinhua-fm-briefing")
    assert result.id == "xinhua-fm-briefing"
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "xinhua-fm-briefing.txt", "xinhua-fm-briefing.yml"]


@pytest.mark.parametrize("bad", ["Xinhua-2024", "a--b", "-a", "a-", "a_b", "a b", ""])
def test_invalid_id(tmp_path: Path, bad: str) -> None:
    with pytest.raises(UsageError) as info:
        import_file(write(tmp_path, GOOD), tmp_path / "out", source_id=bad)
    assert str(info.value) == (
        f"invalid source id '{bad}': use lowercase letters, digits and single hyphens, "
        "like 'xinhua-2024-12-20-fm-briefing'")
    assert info.value.exit_code == 2
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("bad, shown", [("x\n", "x\\x0a"), ("x\x1b[2J", "x\\x1b[2J")])
def test_invalid_id_with_a_control_character(tmp_path: Path, bad: str, shown: str) -> None:
    """A trailing newline passed the id pattern (`$` accepts one) and named the files 'x\\n.txt'."""
    with pytest.raises(UsageError) as info:
        import_file(write(tmp_path, GOOD), tmp_path / "out", source_id=bad)
    assert str(info.value) == (
        f"invalid source id '{shown}': use lowercase letters, digits and single hyphens, "
        "like 'xinhua-2024-12-20-fm-briefing'")
    assert not (tmp_path / "out").exists()


def test_unknown_kind(tmp_path: Path) -> None:
    with pytest.raises(UsageError) as info:
        import_file(write(tmp_path, GOOD), tmp_path / "out", kind="blog")
    assert str(info.value) == ("unknown kind 'blog': use one of news, statement, readout, "
                               "announcement, report, regulation, other")


def test_kind_and_language_written(tmp_path: Path) -> None:
    result = import_file(write(tmp_path, GOOD), tmp_path / "out", kind="statement", language="zh-Hans")
    data = yaml.safe_load(result.yml_path.read_bytes())
    assert (data["kind"], data["language"]) == ("statement", "zh-Hans")


@pytest.mark.parametrize("title, publisher, expected", [
    ("The Art of the Deal: A Review", "Xinhua", "xinhua-2024-12-20-art-deal-review"),
    ("China's U.S. talks on fentanyl at Geneva in May", "Reuters",
     "reuters-2024-12-20-chinas-us-talks-fentanyl"),
    ("Café société — naïve résumé", "Agence France-Presse",
     "agence-france-presse-2024-12-20-cafe-societe-naive-resume"),
    ("Of the and", "Xinhua", "xinhua-2024-12-20"),
    ("中国 禁毒", "新华社", "2024-12-20-ea582e75"),  # was the bare date: every Chinese title of a day collided
    ("Встреча в Пекине", "ТАСС", "2024-12-20-28deab89"),
    ("G20 峰会", "Xinhua", "xinhua-2024-12-20-g20-2f154dc1"),
])
def test_default_id(title: str, publisher: str, expected: str) -> None:
    assert default_id(title, publisher, datetime.date(2024, 12, 20)) == expected


# --- refusing to overwrite ------------------------------------------------------

@pytest.mark.parametrize("existing", [".txt", ".yml"])
def test_refuses_to_overwrite(project: Path, seed: bytes, existing: str) -> None:
    sources = project / "content" / "sources"
    old = sources / f"{SEED_ID}{existing}"
    old.write_bytes(b"old\n")
    with pytest.raises(UsageError) as info:
        import_file(write(project, seed), sources, display_root=project)
    assert str(info.value) == (
        f"'content/sources/{SEED_ID}{existing}' already exists; choose another id with --id, "
        "or delete the old files first")
    assert info.value.exit_code == 2
    assert [p.name for p in sources.iterdir()] == [old.name]
    assert old.read_bytes() == b"old\n"


def test_refusal_without_display_root_shows_path_as_given(tmp_path: Path) -> None:
    import_file(write(tmp_path, GOOD), tmp_path / "out", source_id="x")
    with pytest.raises(UsageError) as info:
        import_file(write(tmp_path, GOOD.replace(b"Text.", b"Other.")), tmp_path / "out", source_id="x")
    assert str(info.value).startswith(f"'{tmp_path / 'out' / 'x.txt'}' already exists;")


# --- datelines ------------------------------------------------------------------

@pytest.mark.parametrize("dateline, place, publisher", [
    ("BEIJING, Dec. 19 (Xinhua) --", "BEIJING", "Xinhua"),
    ("WASHINGTON, May 1 (Xinhua) --", "WASHINGTON", "Xinhua"),
    ("UNITED NATIONS, Sept. 3 (Xinhua) --", "UNITED NATIONS", "Xinhua"),
    ("ST. PETERSBURG, March 12 (AP) --", "ST. PETERSBURG", "AP"),
    ("XI'AN, Jan. 2 (Xinhua) \u2014", "XI'AN", "Xinhua"),
])
def test_dateline_forms(dateline: str, place: str, publisher: str) -> None:
    raw = f" date 2024-12-20 T\n\nXinhua) 10:46\n\n{dateline} Text.\n".encode()
    meta = parse_crawled(raw, "in.txt")
    assert (meta["place"], meta["publisher"]) == (place, publisher)


def test_missing_byline_and_leading_space_tolerated() -> None:
    raw = b"date 2024-12-20 T\nBEIJING, Dec. 19 (Xinhua) -- Text.\n"
    assert parse_crawled(raw, "in.txt")["publisher"] == "Xinhua"


# --- errors: one diagnostic each, exact wording ---------------------------------

def test_not_utf8() -> None:
    raw = GOOD.replace(b"Text.", b"caf\xe9 text.")
    assert raw[92] == 0xE9
    assert error_of(raw) == (
        "in.txt:5:33: error: file is not valid UTF-8 (byte 0xe9 at offset 92)"
        "\n  hint: save the file as UTF-8")


def test_not_utf8_after_bom_counts_columns_without_it() -> None:
    raw = b"\xef\xbb\xbf date 2024-12-20 \xff\n"
    assert error_of(raw) == (
        "in.txt:1:18: error: file is not valid UTF-8 (byte 0xff at offset 20)"
        "\n  hint: save the file as UTF-8")


@pytest.mark.parametrize("raw", [b"", b"\xef\xbb\xbf", b"\n\n  \n"])
def test_empty(raw: bytes) -> None:
    assert error_of(raw) == "in.txt:1:1: error: file is empty" + HEADER_HINT


@pytest.mark.parametrize("first", [b"China to continue", b" date 20-12-2024 Title", b" 2024-12-20 Title",
                                   b"\n date 2024-12-20 Title"])
def test_bad_header(first: bytes) -> None:
    assert error_of(first + b"\n\nBEIJING, Dec. 19 (Xinhua) -- Text.\n") == (
        "in.txt:1:1: error: first line is not a ' date YYYY-MM-DD Title' header" + HEADER_HINT)


@pytest.mark.parametrize("first, col", [(b" date 2024-02-30 Title", 7), (b"date 2023-13-01 Title", 6)])
def test_impossible_date(first: bytes, col: int) -> None:
    stamp = first.split()[1].decode()
    assert error_of(first + b"\n") == (
        f"in.txt:1:{col}: error: impossible date '{stamp}' in the header" + HEADER_HINT)


@pytest.mark.parametrize("first, col", [(b" date 2024-12-20", 17), (b" date 2024-12-20   \r", 20)])
def test_missing_title(first: bytes, col: int) -> None:
    assert error_of(first + b"\n\nBEIJING, Dec. 19 (Xinhua) -- Text.\n") == (
        f"in.txt:1:{col}: error: the header has no title after the date" + HEADER_HINT)


@pytest.mark.parametrize("raw, line", [
    (b" date 2024-12-20 T\n\nXinhua) 10:46\n\nChina will continue.\n", 5),
    (b" date 2024-12-20 T\r\n\r\nXinhua) 10:46\r\n\r\nChina will continue.\r\n", 5),
    (b" date 2024-12-20 T\n\nOnly one line.\n", 3),
    (b" date 2024-12-20 T\n", 2),
    (b" date 2024-12-20 T\n\n1\n2\n3\n4\n5\nBEIJING, Dec. 19 (Xinhua) -- late.\n", 4),
])
def test_no_dateline(raw: bytes, line: int) -> None:
    assert error_of(raw) == (
        f"in.txt:{line}:1: error: no dateline found in the first 5 lines after the header"
        + DATELINE_HINT)


def test_import_error_uses_display_path_and_writes_nothing(project: Path) -> None:
    src = write(project, b"no header\n", "incoming.txt")
    with pytest.raises(ContentError) as info:
        import_file(src, project / "content" / "sources", display_root=project)
    assert info.value.format_message() == (
        "incoming.txt:1:1: error: first line is not a ' date YYYY-MM-DD Title' header"
        + HEADER_HINT + "\n1 error, 0 warnings")
    assert info.value.exit_code == 1
    assert list((project / "content" / "sources").iterdir()) == []


# --- YAML quoting ---------------------------------------------------------------

@pytest.mark.parametrize("title", [
    "Lin: 'we hope' \"they\" will # not", "yes", "null", "2024-12-20", "- a list?", "@x: {y}",
    "  [not] a flow & *alias", "Ünïcödé — “curly”", "0x1F", "~",
])
def test_title_round_trips(tmp_path: Path, title: str) -> None:
    raw = f" date 2024-12-20 {title}\n\nBEIJING, Dec. 19 (Xinhua) -- Text.\n".encode()
    result = import_file(write(tmp_path, raw), tmp_path / "out", source_id="t")
    assert yaml.safe_load(result.yml_path.read_bytes())["title"] == title.strip()
    assert result.title == title.strip()


# --- what import refuses, cleans and recognises ---------------------------------

ZH_TEXT = (" date 2024-12-20 外交部：中方愿同美方在平等互利基础上继续开展禁毒合作\n\n"
           "新华网 2024-12-20 10:46\n\n"
           "新华社北京12月20日电（记者王雨萧）外交部发言人林剑19日在例行记者会上表示，"
           "中方愿在平等、互利、相互尊重的基础上，同美方继续开展禁毒合作。\n\n"
           "林剑说，中方是世界上禁毒政策最严、执行最坚决的国家之一。\n").encode("utf-8")


@pytest.mark.parametrize("dateline, publisher, place", [
    ("新华社北京12月20日电（记者王雨萧）外交部发言人表示。", "新华社", "北京"),
    ("新华社华盛顿12月19日电 美国国务院表示。", "新华社", "华盛顿"),
    ("中新社北京12月20日电 外交部发言人表示。", "中新社", "北京"),
    ("\u3000\u3000新华社北京１２月２０日电　外交部发言人表示。", "新华社", "北京"),
    ("【新华社北京12月20日电】外交部发言人表示。", "新华社", "北京"),
    ("人民网北京12月20日电 外交部发言人表示。", "人民网", "北京"),
])
def test_chinese_datelines(dateline: str, publisher: str, place: str) -> None:
    """'no dateline found' before: only the English 'BEIJING, Dec. 19 (Xinhua) --' form was known."""
    meta = parse_crawled(f" date 2024-12-20 外交部发言人答记者问\n\n{dateline}\n".encode(), "zh.txt")
    assert (meta["publisher"], meta["place"]) == (publisher, place)


def test_a_chinese_text_imports_and_builds(tiny_site) -> None:
    site = tiny_site()
    (site.root / "zh.txt").write_bytes(ZH_TEXT)
    result = site.run("import", "--language", "zh-Hans", "zh.txt")
    sid = "2024-12-20-" + hashlib.sha256("外交部：中方愿同美方在平等互利基础上继续开展禁毒合作".encode()).hexdigest()[:8]
    assert (result.returncode, result.stderr) == (0, (
        "note: the title has letters an id cannot hold, so the id ends in a hash of the title; "
        "pass --id to choose a readable one\n"
        f"imported {sid}: content/sources/{sid}.txt and {sid}.yml; check its .yml, then cite it as [@{sid}]\n"))
    data = yaml.safe_load((site.content / "sources" / f"{sid}.yml").read_bytes())
    assert (data["publisher"], data["language"]) == ("新华社", "zh-Hans")
    assert (site.content / "sources" / f"{sid}.txt").read_bytes() == ZH_TEXT
    assert site.run("check").returncode == 0


def test_cjk_titles_of_one_day_get_distinct_ids(project: Path) -> None:
    """Both got 'xinhua-2024-12-20' (or a bare '2024-12-20'), so the second import was refused."""
    sources = project / "content" / "sources"
    ids = []
    for title in ("中方将继续与美方开展禁毒合作", "外交部发言人就美方言论答记者问"):
        raw = f" date 2024-12-20 {title}\n\nBEIJING, Dec. 19 (Xinhua) -- 外交部发言人表示。\n".encode()
        imported = import_file(write(project, raw, "zh.txt"), sources)
        assert imported.id == "xinhua-2024-12-20-" + hashlib.sha256(title.encode()).hexdigest()[:8]
        ids.append(imported.id)
    assert len(set(ids)) == 2
    assert sorted(p.name for p in sources.iterdir()) == sorted(f"{i}{s}" for i in ids for s in (".txt", ".yml"))


@pytest.mark.parametrize("header, title, removed", [
    ("Evil \u202etxt.exe title", "Evil txt.exe title", "U+202E RIGHT-TO-LEFT OVERRIDE"),
    ("Red\x1b[31m alert", "Red[31m alert", "U+001B (a control character)"),
    ("\u2066Isolated\u2069 and\x07 rung", "Isolated and rung",
     "U+2066 LEFT-TO-RIGHT ISOLATE, U+2069 POP DIRECTIONAL ISOLATE, U+0007 (a control character)"),
    ("Tab\tin the title", "Tab in the title", "U+0009 (a control character)"),
])
def test_control_and_bidi_characters_are_removed_from_the_title(tiny_site, header, title, removed) -> None:
    """They went into the .yml and onto every page citing the source, where U+202E reverses what follows."""
    site = tiny_site()
    raw = f" date 2024-12-20 {header}\n\nBEIJING, Dec. 19 (Xinhua) -- Text.\n".encode()
    (site.root / "in.txt").write_bytes(raw)
    result = site.run("import", "--id", "evil", "in.txt")
    assert (result.returncode, result.stderr.splitlines()[0]) == (
        0, f"note: removed {removed} from the title (the .txt keeps them); check the title in the .yml")
    assert yaml.safe_load((site.content / "sources" / "evil.yml").read_bytes())["title"] == title
    assert (site.content / "sources" / "evil.txt").read_bytes() == raw


def test_a_title_of_control_characters_only_is_no_title() -> None:
    raw = " date 2024-12-20 \x1b\u202e\n\nBEIJING, Dec. 19 (Xinhua) -- Text.\n".encode()
    assert error_of(raw) == "in.txt:1:20: error: the header has no title after the date" + HEADER_HINT


def test_a_file_over_max_file_size_is_refused_at_import(tiny_site) -> None:
    """It was imported, and every build after refused it."""
    site = tiny_site(config=mkdocs_yml(options="      max_file_size: 1000\n"))
    big = b" date 2024-12-20 A long text\n\nBEIJING, Dec. 19 (Xinhua) -- " + b"a" * 1000 + b"\n"
    (site.root / "big.txt").write_bytes(big)
    before = sorted(p.name for p in (site.content / "sources").iterdir())
    result = site.run("import", "big.txt")
    assert (result.returncode, result.stderr) == (1, (
        "big.txt:1:1: error: file is larger than max_file_size (1,000 bytes)\n"
        "  hint: every build would refuse it as a stored text: store only the article, or raise "
        "max_file_size under the sitegen plugin in mkdocs.yml\n1 error, 0 warnings\n"))
    assert sorted(p.name for p in (site.content / "sources").iterdir()) == before
    (site.root / "big.txt").write_bytes(big[:1000])  # at the cap it is imported
    assert site.run("import", "big.txt").returncode == 0


def test_reimporting_the_same_bytes_says_already_imported(tiny_site) -> None:
    """It said "'…txt' already exists; choose another id" and exited 2, as for a different text."""
    site = tiny_site()
    (site.root / "in.txt").write_bytes(GOOD)
    assert site.run("import", "in.txt").returncode == 0
    stored = {p.name: p.read_bytes() for p in (site.content / "sources").iterdir()}
    for args in (("in.txt",), ("--id", "another-id", "in.txt")):
        result = site.run("import", *args)
        assert (result.returncode, result.stderr) == (0, (
            "already imported as xinhua-2024-12-20-title: content/sources/xinhua-2024-12-20-title.txt holds "
            "these very bytes; nothing was written\n"))
        assert {p.name: p.read_bytes() for p in (site.content / "sources").iterdir()} == stored
    (site.root / "in.txt").write_bytes(GOOD.replace(b"Text.", b"Text!"))  # one byte differs: not the same
    result = site.run("import", "in.txt")
    assert (result.returncode, result.stderr) == (2, (
        "'content/sources/xinhua-2024-12-20-title.txt' already exists; choose another id with --id, "
        "or delete the old files first\n"))
