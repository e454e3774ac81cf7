"""``sitegen import``: turn a crawled news text into a stored source.

The crawled-news format looks like this::

     date 2024-12-20 Title of the article
    <blank>
    Xinhua) 10:46, December 20, 2024          <- byline fragment (may be missing)
    <blank>
    BEIJING, Dec. 19 (Xinhua) -- First paragraph ...

A Chinese text's dateline reads ``新华社北京12月20日电`` (agency, place, date, "电").

:func:`import_file` copies the text byte for byte to ``<id>.txt`` and writes a
pre-filled ``<id>.yml`` beside it. It never overwrites anything, refuses what a
build would refuse (a file over ``max_file_size``), and a file already stored
byte for byte is reported as imported, not stored twice.
"""

from __future__ import annotations

import datetime
import hashlib
import os
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import yaml

from .errors import ContentError, Diagnostic, UsageError, printable, shown_path, unprintable_characters, utf8_problem
from .read.crawled import CJK_DATELINE_RE, DATELINE_RE, DATELINE_SCAN, HEADER_RE
from .model import ID_WORD_RE, SOURCE_KINDS, is_id

KINDS = SOURCE_KINDS  # what --kind accepts: the kinds a source may have
STOP_WORDS = frozenset("a an the of to on with and for in at by as from".split())
HEADER_HINT = "the first line must look like ' date 2024-12-20 Title of the article'"
DATELINE_HINT = ("the first paragraph must begin with a dateline like 'BEIJING, Dec. 19 (Xinhua) --' "
                 "or '新华社北京12月20日电'")
ID_HASH_LENGTH = 8  # hex digits of the title's SHA-256 that end an id when the title has letters ids cannot hold
YAML_HEAD = """\
# Written by `sitegen import`. Before you commit this file:
#   - add `url: https://...` if the article is online (http or https only);
#   - check `rights` (full-text | excerpts | metadata-only): how much of the
#     text the site may show; `excerpts` is the cautious default;
#   - check title, publisher and published against the original.
# sha256 guards the stored text (the .txt beside this file): it may not
# change silently. If you must correct the text, update sha256 to match.
"""


@dataclass(frozen=True)
class ImportedSource:
    id: str
    title: str
    published: datetime.date
    publisher: str
    place: str
    txt_path: Path
    yml_path: Path
    already: bool = False             # the same bytes were stored before, as this id: nothing written
    notes: tuple[str, ...] = ()       # what the editor should know about the .yml written


def _fail(path: str, line: int, col: int, message: str, hint: str) -> ContentError:
    return ContentError([Diagnostic(path, line, col, message, hint=hint)])


def _decode(raw: bytes, path: str) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _fail(path, *utf8_problem(raw, exc), "save the file as UTF-8") from None


def parse_crawled(raw: bytes, display_path: str) -> dict:
    """Read title, published, publisher and place from a crawled news text."""
    text = _decode(raw, display_path).removeprefix("\ufeff")
    if not text.strip():
        raise _fail(display_path, 1, 1, "file is empty", HEADER_HINT)
    lines = [line.removesuffix("\r") for line in text.split("\n")]
    header = HEADER_RE.match(lines[0])
    if not header:
        raise _fail(display_path, 1, 1,
                    "first line is not a ' date YYYY-MM-DD Title' header", HEADER_HINT)
    stamp = header.group(1)
    try:
        published = datetime.date.fromisoformat(stamp)
    except ValueError:
        raise _fail(display_path, 1, header.start(1) + 1,
                    f"impossible date '{stamp}' in the header", HEADER_HINT) from None
    title, removed = _clean_title(header.group(2) or "")
    if not title:
        raise _fail(display_path, 1, len(lines[0]) + 1,
                    "the header has no title after the date", HEADER_HINT)
    body = [(n, line) for n, line in enumerate(lines[1:], start=2) if line.strip()]
    for _, line in body[:DATELINE_SCAN]:
        dateline = DATELINE_RE.match(line.strip()) or CJK_DATELINE_RE.match(line.strip())
        if dateline:
            meta = {"title": title, "published": published,
                    "publisher": dateline.group("agency").strip(),
                    "place": dateline.group("place").strip()}
            if removed:
                meta["removed"] = removed
            return meta
    # Point at where the dateline belongs: the first line after the byline.
    line_no = body[1][0] if len(body) > 1 else body[0][0] if body else 2
    raise _fail(display_path, line_no, 1,
                f"no dateline found in the first {DATELINE_SCAN} lines after the header",
                DATELINE_HINT)


def _clean_title(title: str) -> tuple[str, tuple[str, ...]]:
    """The title without control and bidi characters (a line break or tab becomes a space), and
    those removed. The stored text keeps them, byte for byte; the title is shown on every page
    that cites the source, where U+202E would reverse what follows it."""
    removed = unprintable_characters(title)
    clean = "".join(" " if c.isspace() else "" if c in removed else c for c in title)
    return clean.strip(), tuple(removed)


def _describe(char: str) -> str:
    name = unicodedata.name(char, "")
    return f"U+{ord(char):04X} {name}" if name else f"U+{ord(char):04X} (a control character)"


def _words(text: str) -> list[str]:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    folded = re.sub(r"['.]", "", folded)  # U.S. -> us, China's -> chinas
    return ID_WORD_RE.findall(folded)


def default_id(title: str, publisher: str, published: datetime.date) -> str:
    """``<publisher>-<YYYY-MM-DD>-<first four significant title words>``.

    Ids are ASCII and sitegen does not transliterate, so a title with letters the
    ASCII fold drops (Chinese, Cyrillic...) adds a short hash of the title instead:
    ``2024-12-20-ea582e75`` for 中国 禁毒. Two such titles of a day get different ids, and the
    same title always the same one.
    """
    significant = [w for w in _words(title) if w not in STOP_WORDS][:4]
    parts = ["-".join(_words(publisher)), published.isoformat(), "-".join(significant)]
    if _untransliterated(title):
        parts.append(_title_hash(title))
    return "-".join(p for p in parts if p)


def _untransliterated(title: str) -> bool:
    """Whether the title has a letter that the ASCII fold of an id would drop."""
    return any(unicodedata.category(c).startswith("L") and not _words(c) for c in title)


def _title_hash(title: str) -> str:
    return hashlib.sha256(unicodedata.normalize("NFC", title).encode("utf-8")).hexdigest()[:ID_HASH_LENGTH]


def _shown(path: Path, root: Path | None) -> str:
    return str(path) if root is None else shown_path(path, root)


def render_yml(meta: dict, *, kind: str, language: str, sha256: str) -> bytes:
    """The pre-filled metadata file; deterministic, strings quoted where YAML needs it."""
    data = {"title": meta["title"], "publisher": meta["publisher"],
            "published": meta["published"], "language": language, "kind": kind,
            "rights": "excerpts", "sha256": sha256}
    body = yaml.safe_dump(data, sort_keys=False, allow_unicode=True,
                          default_flow_style=False, width=float("inf"))
    return (YAML_HEAD + body).encode("utf-8")


def _read(path: Path, shown: str, max_file_size: int | None) -> bytes:
    """The file's bytes; never more than max_file_size + 1 of them are read."""
    with open(path, "rb") as handle:
        raw = handle.read() if max_file_size is None else handle.read(max_file_size + 1)
    if max_file_size is not None and len(raw) > max_file_size:
        raise _fail(shown, 1, 1, f"file is larger than max_file_size ({max_file_size:,} bytes)",
                    "every build would refuse it as a stored text: store only the article, or raise "
                    "max_file_size under the sitegen plugin in mkdocs.yml")
    return raw


def _stored_as(raw: bytes, sources_dir: Path) -> str | None:
    """The id of a source whose stored text is these very bytes, if one is stored."""
    try:
        with os.scandir(sources_dir) as listing:
            candidates = sorted(e.name for e in listing if e.name.endswith(".txt") and e.is_file()
                                and e.stat().st_size == len(raw))
    except FileNotFoundError:
        return None
    for name in candidates:
        stem = name[:-4]
        if is_id(stem) and _metadata(sources_dir, stem).exists() and (sources_dir / name).read_bytes() == raw:
            return stem
    return None


def _metadata(sources_dir: Path, stem: str) -> Path:
    yaml_path = sources_dir / f"{stem}.yaml"
    return yaml_path if yaml_path.exists() else sources_dir / f"{stem}.yml"


def import_file(path: Path, sources_dir: Path, *, source_id: str | None = None,
                kind: str = "news", language: str = "en",
                display_root: Path | None = None, max_file_size: int | None = None) -> ImportedSource:
    """Store ``path`` as ``<sources_dir>/<id>.txt`` plus a pre-filled ``<id>.yml``, or find it stored."""
    path, sources_dir = Path(path), Path(sources_dir)
    if source_id is not None and not is_id(source_id):
        raise UsageError(
            f"invalid source id '{printable(source_id)}': use lowercase letters, digits and single "
            "hyphens, like 'xinhua-2024-12-20-fm-briefing'")
    if kind not in KINDS:
        raise UsageError(f"unknown kind '{kind}': use one of {', '.join(KINDS)}")
    raw = _read(path, _shown(path, display_root), max_file_size)
    meta = parse_crawled(raw, _shown(path, display_root))
    stored = _stored_as(raw, sources_dir)
    if stored:
        return ImportedSource(stored, meta["title"], meta["published"], meta["publisher"], meta["place"],
                              sources_dir / f"{stored}.txt", _metadata(sources_dir, stored), already=True)
    notes = []
    if meta.get("removed"):
        notes.append(f"removed {', '.join(map(_describe, meta['removed']))} from the title (the .txt keeps "
                     "them); check the title in the .yml")
    sid = source_id or default_id(meta["title"], meta["publisher"], meta["published"])
    if not source_id and _untransliterated(meta["title"]):
        notes.append("the title has letters an id cannot hold, so the id ends in a hash of the title; "
                     "pass --id to choose a readable one")
    txt_path, yml_path = sources_dir / f"{sid}.txt", sources_dir / f"{sid}.yml"
    for target in (txt_path, yml_path):
        if target.exists():
            raise UsageError(
                f"'{_shown(target, display_root)}' already exists; choose another id "
                "with --id, or delete the old files first")
    yml = render_yml(meta, kind=kind, language=language,
                     sha256=hashlib.sha256(raw).hexdigest())
    sources_dir.mkdir(parents=True, exist_ok=True)
    with open(txt_path, "xb") as out:  # "x": never clobber a file created meanwhile
        out.write(raw)
    with open(yml_path, "xb") as out:
        out.write(yml)
    return ImportedSource(sid, meta["title"], meta["published"], meta["publisher"],
                          meta["place"], txt_path, yml_path, notes=tuple(notes))
