"""File names that cannot become URLs or files everywhere, and the messages that say why."""

from __future__ import annotations

import unicodedata

from ..errors import Collector
from ..model import is_id

# Device names Windows reserves in every folder, whatever the extension: a repository
# holding one cannot be checked out there, and its page could not be written there.
WINDOWS_RESERVED = frozenset({"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)),
                              *(f"lpt{i}" for i in range(10))})


_CONTROL = frozenset(chr(c) for c in (*range(0x20), *range(0x7f, 0xa0)))


def unusable_name(parts: list[str]) -> str | None:
    """Why a path under docs_dir cannot become a URL and a file on every system, if it cannot.

    Names of sheets and sources are held to the id pattern later; pages and
    assets keep their names, so their characters are checked here.
    """
    for part in parts:
        device = part.split(".")[0]
        if device.lower() in WINDOWS_RESERVED:
            return (f"the name '{part}' is the device {device.upper()}, which Windows reserves: the file could not "
                    "be checked out or published there")
    if parts[0] in ("sheets", "sources"):
        return None
    for part in parts:
        if "\\" in part:
            return f"the name '{part}' contains a backslash, which URLs and Windows read as a folder separator"
        if any(c in _CONTROL for c in part):
            return f"the name '{part}' contains a control character, which cannot be part of a URL"
    return None


# Besides letters, marks and digits (of any script), the only characters a plain page's
# path may hold: the others mean something in a URL ('?' starts a query, '#' a fragment,
# ':' ends a scheme, '%' an escape) or must be escaped in one (spaces, quotes, brackets).
PAGE_NAME_PUNCTUATION = "-_.~"


def unsafe_page_name(rel: str) -> tuple[str, str] | None:
    """(message, hint) when a plain page's path cannot be its URL as it stands.

    A page's path is written into links, the canonical link and the sitemap as it
    is, so `javascript:x.md` became a javascript: URL and `what?.md` a link to /what.
    """
    def allowed(c: str) -> bool:
        return c in PAGE_NAME_PUNCTUATION or c == "/" or unicodedata.category(c)[0] in "LMN"

    bad = [c for c in dict.fromkeys(rel) if not allowed(c)]
    if not bad:
        return None
    names = [f"'{c}'" if c.isprintable() and not c.isspace() else
             f"U+{ord(c):04X} {unicodedata.name(c, 'character')}" for c in bad]
    shown = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    suggestion = "/".join("-".join("".join(c if allowed(c) else " " for c in part).split()) or "page"
                          for part in rel[:-3].split("/")) + ".md"
    return (f"the page name '{rel}' contains {shown}: a page's path becomes its URL, so its file and "
            f"folder names may use only letters, digits, '-', '_', '.' and '~'",
            f"rename the file, for example to '{suggestion}'")


def valid_id(stem: str, shown: str, what: str, report: Collector, taken_by: str | None = None) -> bool:
    if is_id(stem):
        return True
    suggestion = "-".join("".join(c if c.isalnum() and c.isascii() else " " for c in stem.lower()).split())
    hint = f"rename the file to '{suggestion}'" if is_id(suggestion) else None
    if hint and taken_by:
        hint = f"rename the file: '{suggestion}' is taken by {taken_by}"
    report.error(shown, 1, 1, f"'{stem}' is not a valid {what} id: the file name must use lowercase letters, "
                              f"digits and single hyphens", hint)
    return False


def difference(url: str, other: str) -> str:
    """Say how two colliding names differ, since on screen they may look the same."""
    if unicodedata.normalize("NFC", url) == unicodedata.normalize("NFC", other):
        forms = [f for f in ("NFC", "NFD") if unicodedata.is_normalized(f, url)]
        other_forms = [f for f in ("NFC", "NFD") if unicodedata.is_normalized(f, other)]
        return (f"the two names differ only in Unicode normalisation (this one is "
                f"{'/'.join(forms) or 'mixed'}, the other {'/'.join(other_forms) or 'mixed'})")
    if url.casefold() == other.casefold():
        return "the two names differ only in case"
    return "the two names differ only in case and Unicode normalisation"
