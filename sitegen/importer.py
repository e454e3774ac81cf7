"""``sitegen import``: turn a crawled news text into a stored source.

The crawled-news format looks like this::

     date 2024-12-20 Title of the article
    <blank>
    Xinhua) 10:46, December 20, 2024          <- byline fragment (may be missing)
    <blank>
    BEIJING, Dec. 19 (Xinhua) -- First paragraph ...

:func:`import_file` copies the text byte for byte to ``<id>.txt`` and writes a
pre-filled ``<id>.yml`` beside it. It never overwrites anything.
"""

from __future__ import annotations

import datetime
import hashlib
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import yaml

from .errors import ContentError, Diagnostic, UsageError, printable
from .model import is_id

BOM = b"\xef\xbb\xbf"
HEADER_RE = re.compile(r"^[ \t]*date[ \t]+(\d{4}-\d{2}-\d{2})(?:[ \t]+(.*))?$")
_MONTH = (r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
          r"|Sept?(?:ember)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?")
DATELINE_RE = re.compile(
    r"^(?P<place>[^\W\d_](?:[^\W\d_]|[ .'\u2019-])*?),\s+" + _MONTH
    + r"\s+\d{1,2}\s+\((?P<agency>[^()]+)\)\s*(?:--|\u2014|\u2013)"
)
DATELINE_SCAN = 5  # non-blank lines after the header searched for the dateline
KINDS = ("news", "statement", "readout", "announcement", "report", "regulation", "other")
STOP_WORDS = frozenset("a an the of to on with and for in at by as from".split())
HEADER_HINT = "the first line must look like ' date 2024-12-20 Title of the article'"
DATELINE_HINT = "the first paragraph must begin with a dateline like 'BEIJING, Dec. 19 (Xinhua) --'"
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


def _fail(path: str, line: int, col: int, message: str, hint: str) -> ContentError:
    return ContentError([Diagnostic(path, line, col, message, hint=hint)])


def _decode(raw: bytes, path: str) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        start = exc.start
        line_start = raw.rfind(b"\n", 0, start) + 1
        prefix = raw[line_start:start]
        if line_start == 0:
            prefix = prefix.removeprefix(BOM)
        line = raw.count(b"\n", 0, start) + 1
        col = len(prefix.decode("utf-8")) + 1
        raise _fail(path, line, col,
                    f"file is not valid UTF-8 (byte 0x{raw[start]:02x} at offset {start})",
                    "save the file as UTF-8") from None


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
    title = (header.group(2) or "").strip()
    if not title:
        raise _fail(display_path, 1, len(lines[0]) + 1,
                    "the header has no title after the date", HEADER_HINT)
    body = [(n, line) for n, line in enumerate(lines[1:], start=2) if line.strip()]
    for _, line in body[:DATELINE_SCAN]:
        dateline = DATELINE_RE.match(line.strip())
        if dateline:
            return {"title": title, "published": published,
                    "publisher": dateline.group("agency").strip(),
                    "place": dateline.group("place").strip()}
    # Point at where the dateline belongs: the first line after the byline.
    line_no = body[1][0] if len(body) > 1 else body[0][0] if body else 2
    raise _fail(display_path, line_no, 1,
                f"no dateline found in the first {DATELINE_SCAN} lines after the header",
                DATELINE_HINT)


def _words(text: str) -> list[str]:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    folded = re.sub(r"['.]", "", folded)  # U.S. -> us, China's -> chinas
    return re.findall(r"[a-z0-9]+", folded)


def default_id(title: str, publisher: str, published: datetime.date) -> str:
    """``<publisher>-<YYYY-MM-DD>-<first four significant title words>``."""
    significant = [w for w in _words(title) if w not in STOP_WORDS][:4]
    parts = ["-".join(_words(publisher)), published.isoformat(), "-".join(significant)]
    return "-".join(p for p in parts if p)


def _shown(path: Path, root: Path | None) -> str:
    if root is not None:
        try:
            return path.relative_to(root).as_posix()
        except ValueError:
            pass
    return str(path)


def render_yml(meta: dict, *, kind: str, language: str, sha256: str) -> bytes:
    """The pre-filled metadata file; deterministic, strings quoted where YAML needs it."""
    data = {"title": meta["title"], "publisher": meta["publisher"],
            "published": meta["published"], "language": language, "kind": kind,
            "rights": "excerpts", "sha256": sha256}
    body = yaml.safe_dump(data, sort_keys=False, allow_unicode=True,
                          default_flow_style=False, width=float("inf"))
    return (YAML_HEAD + body).encode("utf-8")


def import_file(path: Path, sources_dir: Path, *, source_id: str | None = None,
                kind: str = "news", language: str = "en",
                display_root: Path | None = None) -> ImportedSource:
    """Store ``path`` as ``<sources_dir>/<id>.txt`` plus a pre-filled ``<id>.yml``."""
    path, sources_dir = Path(path), Path(sources_dir)
    if source_id is not None and not is_id(source_id):
        raise UsageError(
            f"invalid source id '{printable(source_id)}': use lowercase letters, digits and single "
            "hyphens, like 'xinhua-2024-12-20-fm-briefing'")
    if kind not in KINDS:
        raise UsageError(f"unknown kind '{kind}': use one of {', '.join(KINDS)}")
    raw = path.read_bytes()
    meta = parse_crawled(raw, _shown(path, display_root))
    sid = source_id or default_id(meta["title"], meta["publisher"], meta["published"])
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
                          meta["place"], txt_path, yml_path)
