"""The on-disk build cache: render only what changed, and never trust a stale entry.

Three memos, all keyed by hashes of everything the output depends on:

* the **fingerprint** of a whole build (every input file's bytes, the
  templates, the configuration, sitegen's version, the build date): when it
  equals the last build's and the site on disk is the one that build wrote,
  there is nothing to do;
* **Markdown** bodies, stored one file per key (the body, its citation table,
  its place in the site, the Markdown settings and sitegen's version), so
  unchanged bodies are never converted again;
* **pages**: the dependency graph of the last build (:mod:`sitegen.model.graph`):
  for each page and each view it was made from, the digests of everything it
  read; when they are all unchanged, the page written by the previous build is
  hard-linked into the new one instead of rendered again.

Every entry is checked before use: the manifest carries its own checksum and
the "salt" (sitegen's version, the templates, the configuration), Markdown
files start with their key, and a reused page must still have the size,
mtime and inode recorded when it was written. Anything that does not check
out is ignored and rebuilt, so a corrupt or foreign cache costs time, never
correctness. A Markdown entry carries the digest of its own HTML, so an entry
edited by hand is ignored; and since anyone who can write the folder could
also forge that digest, the HTML is sanitised again every time it is used
(markup.MarkdownBodies): a cache can change how fast a build is, never what
a page may run.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from pathlib import Path
from typing import Iterable, Iterator

from .. import __version__
from ..config import SiteConfig
from ..model.hashing import digest
from ..model.graph import Memo

FORMAT = 3


def tree_digest(folder: Path) -> str:
    """Hash of every file below a folder (names and bytes), e.g. the templates.

    Python's ``__pycache__`` is left out: a packaged theme is a Python package,
    and its bytecode appears when MkDocs imports it, changing nothing of the site."""
    parts: list[bytes | str] = []
    if folder.is_dir():
        for path in sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.relative_to(folder).parts):
            parts += [path.relative_to(folder).as_posix(), path.read_bytes()]
    return digest(*parts)


def config_salt(config: SiteConfig) -> str:
    """What every output depends on besides content: version, templates, settings.

    Paths of the output and the cache are left out: they do not change a byte
    of the site, and leaving them out lets `serve` and `build` share entries.
    """
    fields = {f.name: getattr(config, f.name) for f in dataclasses.fields(config)
              if f.name not in ("site_dir", "cache_dir", "config_path", "root")}
    return digest(f"sitegen {__version__} cache {FORMAT}", repr(sorted(fields.items(), key=lambda kv: kv[0])),
                  *(tree_digest(folder) for folder in config.theme_dirs))


def _signature(path: str | Path) -> list[int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return [st.st_size, st.st_mtime_ns, st.st_ino]


_OPEN, _CHECK = '{"body": ', ', "check": "'  # the manifest is JSON: {"body": {...}, "check": "<sha256>"}


def _checked_body(raw: str) -> dict | None:
    """The manifest's body if its checksum is the sha256 of the body's text as written, else None."""
    head, _, check = raw.rpartition(_CHECK)
    body = head.removeprefix(_OPEN)
    if not head.startswith(_OPEN) or not check.endswith('"}') or (
            hashlib.sha256(body.encode("utf-8")).hexdigest() != check[:-2]):
        return None
    found = json.loads(body)
    return found if isinstance(found, dict) else None


def _manifest(body: dict, graph: Memo) -> Iterator[bytes]:
    """The manifest's text a part at a time, its checksum last: the graph's part alone is 13 MB
    at 10,000 sheets, and held whole (with its lists, and again as bytes) it was the largest
    thing a build's last step made."""
    check = hashlib.sha256()

    def hashed(text: str) -> bytes:
        data = text.encode("utf-8")
        check.update(data)
        return data

    yield _OPEN.encode("utf-8")
    yield hashed('{"graph": ')
    for part in graph.json_parts():
        yield hashed(part)
    for key in sorted(body):
        yield hashed(f", {json.dumps(key)}: {json.dumps(body[key], sort_keys=True)}")
    yield hashed("}")
    yield f'{_CHECK}{check.hexdigest()}"}}'.encode("utf-8")


class BuildCache:
    """The cache of one site_dir, in config.cache_dir."""

    def __init__(self, config: SiteConfig, salt: str, resident: bool = False):
        self.config, self.salt = config, salt
        # Kept in memory only, by a process that builds one private folder again and again
        # (``sitegen serve``): nothing else reads its manifest, so writing it is time lost.
        self.resident = resident
        self.forgotten = False
        self.own = False  # the pages are as this very object saved them (resident only)
        self.folder = config.cache_dir
        self.markdown_dir = self.folder / "markdown"
        # What a body's HTML depends on besides the body itself (its key): not the templates.
        self.markdown_salt = digest(f"sitegen {__version__} markdown {FORMAT}", repr(config.markdown_extensions))
        site_key = digest(str(config.site_dir))[:16]  # one manifest per output folder
        self.manifest_path = self.folder / f"pages-{site_key}.json"
        self.fingerprint = ""
        self.pages: dict[str, list] = {}    # output path -> the file's signature when written
        self.graph = Memo()                 # what each page and view read, with the digests read
        self.files: list[str] = []          # the other files the build wrote (feeds, exports, assets)
        self.warnings: list[list] = []
        self._live: dict[str, tuple[int, int]] = {}  # page -> (st_dev, st_ino), when reusable() found it current
        self._load()

    # -- the manifest ---------------------------------------------------------
    def _load(self) -> None:
        try:
            body = _checked_body(self.manifest_path.read_text(encoding="utf-8"))
            if body is None or body.get("salt") != self.salt:
                return
            self.fingerprint = body["fingerprint"]
            self.pages = {k: v for k, v in body["pages"].items() if isinstance(v, list) and len(v) == 3}
            self.graph = Memo.from_json(body.get("graph"))
            self.warnings = body.get("warnings", [])
            self.files = [f for f in body.get("files", []) if isinstance(f, str)]
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            self.fingerprint, self.pages, self.warnings, self.files, self.graph = "", {}, [], [], Memo()

    def save(self, fingerprint: str, graph: Memo, pages: list[str], warnings: list[list], files: list[str] = (),
             untouched: set[str] | dict = frozenset()) -> None:
        """Record what the site on disk now holds, and what each page was made from (call after the swap).
        ``untouched``: pages whose file the build found current (reusable) and left where it was:
        their signatures are the ones just checked."""
        site = f"{self.config.site_dir}/"
        signatures = {}
        for path in pages:
            sig = self.pages.get(path) if path in untouched else None
            sig = sig or _signature(site + path)
            if sig:
                signatures[path] = sig
        if self.resident:
            self.fingerprint, self.pages, self.warnings, self.files, self.graph = (
                fingerprint, signatures, warnings, list(files), graph)
            self.forgotten, self.own = False, True
            return
        body = {"salt": self.salt, "fingerprint": fingerprint, "pages": signatures, "warnings": warnings,
                "files": list(files)}
        self._write_atomically(self.manifest_path, _manifest(body, graph))

    def forget(self) -> None:
        """Drop the manifest (a build failed after the swap point, or was refused)."""
        self.forgotten, self.own = True, False  # a resident cache is not used again until it is saved
        try:
            self.manifest_path.unlink()
        except OSError:
            pass

    def up_to_date(self, fingerprint: str) -> bool:
        """True when the site on disk is exactly what this fingerprint builds."""
        return bool(fingerprint) and fingerprint == self.fingerprint and self.describes_site()

    def describes_site(self, checked: set[str] | dict = frozenset()) -> bool:
        """True when every page on disk is the one the manifest recorded (and the folder is sitegen's);
        ``checked``: pages reusable() has just found so."""
        site = f"{self.config.site_dir}/"  # paths are the build's own, checked when written
        return bool(self.pages) and all(path in checked or _signature(site + path) == sig
                                        for path, sig in self.pages.items())

    def reusable(self, path: str) -> str | None:
        """The previous build's file for this page, if it is still the file that build wrote.
        A resident manifest that saved these pages itself (serve's, of a private folder nothing
        else writes) is believed without a look at the file: it knows what its builds wrote."""
        entry = self.pages.get(path)
        if entry is None:
            return None
        file = f"{self.config.site_dir}/{path}"
        if self.own:
            return file
        try:
            st = os.stat(file)
        except OSError:
            return None
        if [st.st_size, st.st_mtime_ns, st.st_ino] != entry:
            return None
        self._live[path] = (st.st_dev, st.st_ino)
        return file

    def identity(self, path: str) -> tuple[int, int] | None:
        """(device, inode) of the live file reusable() found current for this page: a file of the
        spare that is this very file need not be linked again."""
        return self._live.get(path)

    # -- Markdown ---------------------------------------------------------------
    def _markdown_entry(self, key: str) -> tuple[str, Path]:
        name = digest(self.markdown_salt, key)
        return name, self.markdown_dir / name[:2] / f"{name}.html"

    def markdown_get(self, key: str) -> str | None:
        """The HTML stored for a body, if its entry is for these settings and its digest matches."""
        name, path = self._markdown_entry(key)
        try:
            text = path.read_bytes().decode("utf-8")  # as written: no newline translation
        except (OSError, UnicodeDecodeError):
            return None
        header, _, html = text.partition("\n")
        return html if header == f"<!-- sitegen markdown {name} {digest(html)} -->" else None

    def markdown_put(self, key: str, html: str) -> None:
        name, path = self._markdown_entry(key)
        self._write_atomically(path, [f"<!-- sitegen markdown {name} {digest(html)} -->\n{html}".encode("utf-8")])

    @staticmethod
    def _write_atomically(path: Path, parts: Iterable[bytes]) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            with open(temp, "wb") as handle:
                handle.writelines(parts)
            os.replace(temp, path)
        except OSError:
            pass  # a cache that cannot be written only costs time
