"""Incremental builds equal cold builds under random edit sequences (issue #14, item 6).

Hypothesis draws 2–6 edits to a small site (the small-site fixture's pages,
sources and stored text, plus sheets written from a model, so every quote is
checked against a stored text). After each edit the site is built three
ways, and each whole output tree (every file's path and bytes) must equal a
cold build of the same content into a fresh site_dir with a fresh cache_dir:

* (a) a new ``python -m sitegen build`` process per step, with the on-disk cache;
* (b) one long-lived ``Session(update_in_place=True)`` into a private site_dir, as ``sitegen serve`` builds,
  told which files changed as serve's file events tell it (its scans look at those alone);
* (c) ``build(config)`` in process, without a session.

An edit that breaks a quote must fail all three builds and leave each
previous site byte for byte as it was; the next good build must equal cold.

Reproducible in CI: ``derandomize=True`` with ``database=None`` (the same
examples every run, nothing stored). Four explicit examples make every kind
of edit at least once; six generated ones add orders nobody wrote down. The
file takes about 50 s of CPU (most of it the new process each step starts). The build date is pinned (``today=``
in process, ``SOURCE_DATE_EPOCH`` for the subprocess).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir

from conftest import SMALL_SITE, TODAY, sitegen_env, snapshot
from sitegen.build import build
from sitegen.config import load_config
from sitegen.errors import ContentError
from sitegen.read.scan import ChangeLog
from sitegen.session import Session

set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "sitegen-hypothesis")

GAZETTE = "harbour-gazette-2024-03-01"
COUNCIL = "river-council-2023-report"  # metadata only: cited without a quote
QUAY = "quay-notice-2024"
QUAY_TEXT = ("QUAY NOTICE\n\nThe east quay will close for resurfacing from 4 March to 29 March.\n\n"
             "Boats may moor at the west quay during the works, free of charge.\n")
TEXTS = {GAZETTE: (SMALL_SITE / "content/sources" / f"{GAZETTE}.txt").read_bytes().decode("utf-8"), QUAY: QUAY_TEXT}
WORDS = ("harbour", "bridge", "ferry", "quay", "council", "repairs", "tide", "river", "stone", "crossing",
         "timetable", "winter", "spring", "budget", "report", "pier")
DATES = tuple(dt.date(2023, 1, 1) + dt.timedelta(days=47 * i) for i in range(20))  # 2023-01 .. 2025-06
TOPICS = ("bridges", "ferries", "quays")
ENTITIES = ("mara-quill", "river-council")
ROLES = ("Harbour Master", "Harbour Mistress", "Port Officer", None)


def _quotes(text: str) -> list[str]:
    """Runs of 3–5 plain words from one paragraph of a stored text: quotes the text must contain."""
    found = []
    for paragraph in text.replace("\r\n", "\n").split("\n\n"):
        words = paragraph.split()
        for start in range(len(words)):
            for size in (3, 5):
                run = words[start:start + size]
                if len(run) == size and all(w.strip(",.").isalnum() for w in run):
                    found.append(" ".join(run).rstrip(","))
    return found


QUOTES = {source: _quotes(text) for source, text in TEXTS.items()}
CITED = [(source, quote) for source in sorted(QUOTES) for quote in QUOTES[source]]


@dataclasses.dataclass
class SheetModel:
    title: str
    summary: str
    as_of: dt.date
    review_by: dt.date | None
    status: str
    topics: list[str]
    entities: list[str]
    related: list[str]
    words: list[str]
    cites: list[tuple[str, str | None]]    # inline citations at the end of the body
    fact: tuple[str, str]                  # the key fact's source and quote


@dataclasses.dataclass
class SiteModel:
    """The site's editable content; ``files()`` writes it out. Everything else is the fixture's."""

    sheets: dict[str, SheetModel]
    sources: dict[str, dict[str, str]]
    topics: dict[str, str]
    roles: dict[str, str | None]
    about: list[str]
    assets: dict[str, bytes]
    broken: str | None = None              # a sheet whose key fact quotes what no text says
    counter: int = 0

    def files(self) -> dict[str, bytes]:
        files = {f"content/sheets/{sid}.md": _sheet_file(s, s.fact[1] if sid != self.broken else
                                                        "a quote that the stored text never says")
                 for sid, s in self.sheets.items()}
        for sid, meta in self.sources.items():
            text = SOURCE_YML[sid]
            for field, value in meta.items():
                text = text.replace(SOURCE_META[sid][field], f"{field}: {json.dumps(value)}", 1)
            files[f"content/sources/{sid}.yml"] = text
        files[f"content/sources/{QUAY}.txt"] = QUAY_TEXT
        files[f"content/sources/{GAZETTE}.txt"] = TEXTS[GAZETTE]
        files["content/data/topics.yml"] = "".join(
            f"{tid}:\n  name: {json.dumps(name)}\n  description: About {tid}.\n" for tid, name in self.topics.items())
        files["content/data/entities.yml"] = (
            "mara-quill:\n  name: Mara Quill\n  kind: person\n"
            + (f"  role: {json.dumps(self.roles['mara-quill'])}\n" if self.roles["mara-quill"] else "")
            + "  organization: Harbourton Port Authority\n  country: GB\n"
            "river-council:\n  name: River Council\n  kind: organization\n"
            + (f"  role: {json.dumps(self.roles['river-council'])}\n" if self.roles["river-council"] else "")
            + "  country: GB\n")
        files["content/about.md"] = ABOUT + "".join(f"\n{line}\n" for line in self.about)
        files.update(self.assets)
        return {rel: data.encode("utf-8") if isinstance(data, str) else data for rel, data in files.items()}


SOURCE_YML = {
    GAZETTE: (SMALL_SITE / "content/sources" / f"{GAZETTE}.yml").read_text(encoding="utf-8"),
    COUNCIL: (SMALL_SITE / "content/sources" / f"{COUNCIL}.yml").read_text(encoding="utf-8"),
    QUAY: ("title: East quay closes for resurfacing\npublisher: Harbourton Port Authority\npublished: 2024-02-20\n"
           f"kind: announcement\nrights: excerpts\nsha256: {hashlib.sha256(QUAY_TEXT.encode()).hexdigest()}\n"),
}
SOURCE_META = {sid: {field: next(line for line in text.splitlines() if line.startswith(f"{field}: "))
                     for field in ("title", "publisher")} for sid, text in SOURCE_YML.items()}
ABOUT = (SMALL_SITE / "content/about.md").read_text(encoding="utf-8")


def _sheet_file(s: SheetModel, fact_quote: str) -> str:
    source, _ = s.fact
    lines = ["---", f"title: {json.dumps(s.title)}", f"summary: {json.dumps(s.summary)}", f"as_of: {s.as_of}"]
    if s.review_by:
        lines.append(f"review_by: {s.review_by}")
    lines += [f"status: {s.status}", f"topics: {json.dumps(s.topics)}", f"entities: {json.dumps(s.entities)}",
              "key_facts:", f"  - text: {json.dumps('The text says: ' + s.fact[1] + '.')}", f"    cite: {source}",
              f"    quote: {json.dumps(fact_quote)}",
              "figures:", f"  - label: Words in {json.dumps(s.title)[1:-1]}", f"    value: {len(s.words)}",
              f"    cite: {source}", f"    quote: {json.dumps(s.fact[1])}",
              "timeline:", f"  - date: {s.as_of}", f"    text: {json.dumps(s.summary)}", f"    cite: {COUNCIL}"]
    if s.related:
        lines.append(f"related: {json.dumps(s.related)}")
    body = " ".join(s.words).capitalize() + ".\n"
    for source_id, quote in s.cites:
        body += f"\nSee [@{source_id} \"{quote}\"].\n" if quote else f"\nSee [@{source_id}].\n"
    return "\n".join(lines) + "\n---\n" + body


def initial_model() -> SiteModel:
    def sheet(n: int, status: str = "published") -> SheetModel:
        source, quote = CITED[(7 * n) % len(CITED)]
        return SheetModel(title=f"Sheet number {n}", summary=f"What sheet {n} says.", as_of=DATES[n],
                          review_by=DATES[n + 8] if n % 2 else None, status=status, topics=[TOPICS[n % 3]],
                          entities=[ENTITIES[n % 2]], related=[], words=list(WORDS[n:n + 6]),
                          cites=[(source, quote), (COUNCIL, None)], fact=CITED[(5 * n + 1) % len(CITED)])

    sheets = {"bridge-repairs": sheet(1), "ferry-timetable": sheet(2), "quay-works": sheet(3, "draft")}
    sheets["ferry-timetable"].related = ["bridge-repairs"]
    return SiteModel(sheets=sheets, sources={sid: {} for sid in SOURCE_YML},
                     topics={"bridges": "Bridges", "ferries": "Ferries", "quays": "Quays"},
                     roles={"mara-quill": "Harbour Master", "river-council": None}, about=[], assets={})


# --- edits: each takes the model, the site root and two drawn numbers; returns what it did ----------


def _pick(items, n: int):
    items = sorted(items)
    return items[n % len(items)]


def _sheet(model: SiteModel, n: int) -> tuple[str, SheetModel]:
    sid = _pick(model.sheets, n)
    return sid, model.sheets[sid]


def e_word(m, root, a, b):
    sid, s = _sheet(m, a)
    i = b % len(s.words)
    s.words[i] = WORDS[(WORDS.index(s.words[i]) + 1 + b) % len(WORDS)] if s.words[i] in WORDS else WORDS[0]
    return f"{sid}: body word {i} -> {s.words[i]}"


def e_title(m, root, a, b):
    sid, s = _sheet(m, a)
    s.title = f"{WORDS[b % len(WORDS)].capitalize()} facts {b % 7}"
    return f"{sid}: title -> {s.title!r}"


def e_summary(m, root, a, b):
    sid, s = _sheet(m, a)
    s.summary = f"Now about the {WORDS[b % len(WORDS)]}."
    return f"{sid}: summary -> {s.summary!r}"


def e_as_of(m, root, a, b):
    sid, s = _sheet(m, a)
    s.as_of = DATES[b % 10]
    return f"{sid}: as_of -> {s.as_of}"


def e_review_by(m, root, a, b):
    sid, s = _sheet(m, a)
    s.review_by = None if b % 4 == 0 else DATES[10 + b % 10]  # some before TODAY (stale), some after
    return f"{sid}: review_by -> {s.review_by}"


def e_status(m, root, a, b):
    sid, s = _sheet(m, a)
    s.status = "published" if s.status == "draft" else "draft"
    return f"{sid}: status -> {s.status}"


def e_add_sheet(m, root, a, b):
    m.counter += 1
    sid = f"new-sheet-{m.counter}"
    m.sheets[sid] = SheetModel(
        title=f"New {WORDS[a % len(WORDS)]} sheet", summary="Added by an edit.", as_of=DATES[a % 10], review_by=None,
        status="published", topics=[TOPICS[a % 3]], entities=[ENTITIES[b % 2]], related=[],
        words=[WORDS[(a + i) % len(WORDS)] for i in range(4)], cites=[CITED[b % len(CITED)]],
        fact=CITED[(a + b) % len(CITED)])
    return f"add {sid} quoting {m.sheets[sid].fact}"


def _unlink_related(m: SiteModel, gone: str, new: str | None = None) -> None:
    for s in m.sheets.values():
        s.related = [new if r == gone else r for r in s.related if new or r != gone]


def e_delete_sheet(m, root, a, b):
    if len(m.sheets) == 1:
        return e_add_sheet(m, root, a, b)
    sid, _ = _sheet(m, a)
    del m.sheets[sid]
    _unlink_related(m, sid)
    if m.broken == sid:
        m.broken = None
    return f"delete {sid} (and the related links to it)"


def e_rename_sheet(m, root, a, b):
    sid, s = _sheet(m, a)
    m.counter += 1
    new = f"{sid.split('-renamed')[0]}-renamed-{m.counter}"
    os.rename(root / f"content/sheets/{sid}.md", root / f"content/sheets/{new}.md")
    m.sheets[new] = m.sheets.pop(sid)
    _unlink_related(m, sid, new)
    return f"rename {sid}.md -> {new}.md (and the related links to it)"


def e_add_cite(m, root, a, b):
    sid, s = _sheet(m, a)
    cite = (COUNCIL, None) if b % 5 == 0 else CITED[b % len(CITED)]
    s.cites.append(cite)
    return f"{sid}: add inline citation {cite}"


def e_remove_cite(m, root, a, b):
    sid, s = _sheet(m, a)
    if not s.cites:
        return e_add_cite(m, root, a, b)
    return f"{sid}: remove inline citation {s.cites.pop(b % len(s.cites))}"


def e_source_meta(m, root, a, b):
    sid = _pick(m.sources, a)
    field = ("title", "publisher")[b % 2]
    m.sources[sid][field] = f"{WORDS[b % len(WORDS)].capitalize()} {field} {b % 5}"
    return f"source {sid}: {field} -> {m.sources[sid][field]!r}"


def e_topic_name(m, root, a, b):
    tid = _pick(m.topics, a)
    m.topics[tid] = f"{tid.capitalize()} {WORDS[b % len(WORDS)]}"
    return f"topic {tid}: name -> {m.topics[tid]!r}"


def e_entity_role(m, root, a, b):
    eid = _pick(m.roles, a)
    m.roles[eid] = ROLES[(ROLES.index(m.roles[eid]) + 1 + b) % len(ROLES)]
    return f"entity {eid}: role -> {m.roles[eid]!r}"


def e_topic_on_sheet(m, root, a, b):
    sid, s = _sheet(m, a)
    tid = TOPICS[b % 3]
    if tid in s.topics:
        s.topics.remove(tid)
        return f"{sid}: remove topic {tid}"
    s.topics.append(tid)
    return f"{sid}: add topic {tid}"


def e_related(m, root, a, b):
    sid, s = _sheet(m, a)
    others = sorted(set(m.sheets) - {sid})
    if not others:
        return e_add_sheet(m, root, a, b)
    other = others[b % len(others)]
    if other in s.related:
        s.related.remove(other)
        return f"{sid}: remove related {other}"
    s.related.append(other)
    return f"{sid}: add related {other}"


def e_about(m, root, a, b):
    if m.about and b % 2:
        return f"about.md: remove line {m.about.pop(a % len(m.about))!r}"
    m.about.append(f"A line about the {WORDS[a % len(WORDS)]}.")
    return f"about.md: add line {m.about[-1]!r}"


def e_asset(m, root, a, b):
    m.counter += 1
    rel = f"content/img/photo-{m.counter}.png"
    m.assets[rel] = b"\x89PNG\r\n\x1a\n" + bytes([a % 256, b % 256]) * 8
    return f"add asset {rel}"


def e_break_quote(m, root, a, b):
    sid, s = _sheet(m, a)
    s.status = "published"  # drafts are not checked
    m.broken = sid
    return f"{sid}: break the key fact's quote (the build must fail)"


def e_touch(m, root, a, b):
    files = sorted(p for p in (root / "content").rglob("*") if p.is_file())
    path = files[a % len(files)]
    st_ = path.stat()
    os.utime(path, ns=(st_.st_atime_ns, st_.st_mtime_ns + 1_000_000_000 * (1 + b % 3)))
    return f"touch {path.relative_to(root).as_posix()} (bytes unchanged)"


EDITS = {f.__name__[2:]: f for f in (e_word, e_title, e_summary, e_as_of, e_review_by, e_status, e_add_sheet,
                                     e_delete_sheet, e_rename_sheet, e_add_cite, e_remove_cite, e_source_meta,
                                     e_topic_name, e_entity_role, e_topic_on_sheet, e_related, e_about, e_asset,
                                     e_break_quote, e_touch)}
edit_sequences = st.lists(st.tuples(st.sampled_from(sorted(EDITS)), st.integers(0, 99), st.integers(0, 99)),
                          min_size=2, max_size=6)


# --- building and comparing ------------------------------------------------------------------------


def sync(root: Path, model: SiteModel, written: dict[str, bytes]) -> dict[str, bytes]:
    """Write the model's files whose bytes differ from what is on disk; remove those it no longer has."""
    files = model.files()
    for rel in sorted(set(written) - set(files)):
        if (root / rel).exists():  # a renamed sheet is already gone
            (root / rel).unlink()
    for rel, data in files.items():
        path = root / rel
        if not path.exists() or path.read_bytes() != data:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
    return files


def differences(what: str, got: dict[str, bytes], cold: dict[str, bytes]) -> str:
    """'' when equal; else which files are missing, extra or different, with a diff of the first."""
    missing, extra = sorted(set(cold) - set(got)), sorted(set(got) - set(cold))
    changed = sorted(p for p in set(got) & set(cold) if got[p] != cold[p])
    if not (missing or extra or changed):
        return ""
    lines = [f"{what} differs from the cold build: {len(changed)} file(s) differ {changed}, "
             f"missing {missing}, extra {extra}"]
    if changed:
        first = changed[0]
        diff = difflib.unified_diff(cold[first].decode("utf-8", "replace").splitlines(),
                                    got[first].decode("utf-8", "replace").splitlines(),
                                    f"cold/{first}", f"incremental/{first}", n=1, lineterm="")
        lines += list(diff)[:30]
    return "\n".join(lines)


def _errors(text: str) -> str:
    """The error lines of a build's report (warnings, such as a past review date, are expected)."""
    return "; ".join(line for line in text.splitlines() if ": error:" in line) or text.strip()[-300:] or "no output"


class Builds:
    """The three incremental builds of one site, and the cold build they are held to."""

    def __init__(self, tmp: Path):
        self.tmp, self.root = tmp, tmp / "site-src"
        self.mkdocs = self.root / "mkdocs.yml"
        self.session = Session(update_in_place=True)
        self.session.changes = ChangeLog()  # fed as serve's watcher feeds it (note_changes)
        self.seen: dict[str, tuple] = {}
        self.dirs = {"(a) new process": self.root / "site", "(b) serve session": tmp / "serve" / "site",
                     "(c) build(config)": self.root / "site-c"}
        self.cold_count = 0

    def incremental(self) -> dict[str, str | None]:
        """Build all three ways; for each, None or the failure's first line."""
        failed: dict[str, str | None] = {}
        run = subprocess.run([sys.executable, "-m", "sitegen", "build", "-f", str(self.mkdocs)], cwd=self.root,
                             env=sitegen_env(), capture_output=True, text=True, encoding="utf-8", timeout=120)
        failed["(a) new process"] = None if run.returncode == 0 else _errors(run.stderr)
        config = load_config(self.mkdocs)
        self.note_changes()
        for name, options, session in (("(b) serve session", {"site_dir": self.dirs["(b) serve session"],
                                                               "search": False}, self.session),
                                       ("(c) build(config)", {"site_dir": self.dirs["(c) build(config)"]}, None)):
            try:
                build(config.with_options(**options), today=TODAY, session=session)
                failed[name] = None
            except ContentError as exc:
                failed[name] = _errors(exc.format_message())
            finally:
                if session is not None:
                    session.settle()  # as serve does after every rebuild
        return failed

    def note_changes(self) -> None:
        """What serve's file events would name: every file under docs_dir made, removed or changed
        (stat) since the last build, so that the serve session's scans look at those alone."""
        now = {}
        for path in (self.root / "content").rglob("*"):
            if path.is_file():
                st_ = path.stat()
                now[str(path)] = (st_.st_size, st_.st_mtime_ns, st_.st_ino)
        for path in sorted(set(now) | set(self.seen)):
            if now.get(path) != self.seen.get(path):
                self.session.changes.add(path)
        self.seen = now

    def cold(self) -> dict[str, bytes]:
        """A build of the same content into a fresh site_dir, with a fresh (and unused) cache_dir."""
        self.cold_count += 1
        where = self.tmp / f"cold-{self.cold_count}"
        config = load_config(self.mkdocs).with_options(site_dir=where / "site", cache_dir=where / "cache")
        build(config, today=TODAY, use_cache=False)
        tree = snapshot(where / "site")
        shutil.rmtree(where)
        return tree

    def snapshots(self) -> dict[str, dict[str, bytes]]:
        return {name: snapshot(folder) for name, folder in self.dirs.items()}


def check_step(builds: Builds, model: SiteModel, log: list[str]) -> None:
    before = builds.snapshots()
    failed = builds.incremental()
    history = "\n  ".join(log)
    if model.broken:
        for name, problem in failed.items():
            assert problem is not None, f"{name}: the build with a broken quote succeeded, after:\n  {history}"
        after = builds.snapshots()
        for name in before:
            problem = differences(f"{name} after a failed build", after[name], before[name])
            assert not problem, f"{problem}\nafter:\n  {history}"
        return
    for name, problem in failed.items():
        assert problem is None, f"{name} failed: {problem}\nafter:\n  {history}"
    cold = builds.cold()
    got = builds.snapshots()
    problems = [differences(name, got[name], cold) for name in got]
    assert not any(problems), "\n".join(p for p in problems if p) + f"\nafter:\n  {history}"


# Every kind of edit at least once, in orders the random examples may miss: a rename and a
# deletion of sheets that others relate to, a failed build followed by a rename, a draft made
# of a related sheet, a sequence that ends broken (repaired by one more build).
EVERY_KIND = [
    [("break_quote", 1, 0), ("rename_sheet", 0, 0), ("status", 2, 0), ("related", 2, 0), ("add_sheet", 3, 4),
     ("delete_sheet", 1, 0)],
    [("title", 0, 3), ("summary", 1, 2), ("as_of", 0, 4), ("review_by", 1, 1), ("word", 0, 2), ("break_quote", 0, 0)],
    [("add_cite", 0, 3), ("remove_cite", 1, 0), ("source_meta", 0, 1), ("topic_name", 1, 2), ("entity_role", 0, 1),
     ("topic_on_sheet", 0, 1)],
    [("about", 0, 0), ("asset", 1, 2), ("touch", 3, 0), ("status", 1, 0), ("related", 0, 0), ("about", 1, 1)],
]


def _with_examples(test):
    for edits in reversed(EVERY_KIND):
        test = example(edits=edits)(test)
    return test


@settings(max_examples=6, deadline=None, derandomize=True, database=None,
          phases=[Phase.explicit, Phase.generate, Phase.shrink],
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(edits=edit_sequences)
@_with_examples
def test_incremental_builds_equal_cold_builds_after_random_edits(edits):
    with tempfile.TemporaryDirectory(prefix="sitegen-random-edits-") as tmp:
        builds = Builds(Path(tmp))
        root = builds.root
        root.mkdir()
        shutil.copy(SMALL_SITE / "mkdocs.yml", root / "mkdocs.yml")
        (root / "content").mkdir()
        shutil.copy(SMALL_SITE / "content" / "index.md", root / "content" / "index.md")
        model = initial_model()
        written = sync(root, model, {})
        log = ["the first build"]
        check_step(builds, model, log)
        for kind, a, b in edits:
            repaired = model.broken
            model.broken = None  # every edit after a failed build also repairs the quote
            log.append(EDITS[kind](model, root, a, b) + (f"; repair {repaired}'s quote" if repaired else ""))
            written = sync(root, model, written)
            check_step(builds, model, log)
        if model.broken:
            log.append(f"repair {model.broken}'s quote")
            model.broken = None
            sync(root, model, written)
            check_step(builds, model, log)


def test_the_explicit_examples_make_every_kind_of_edit():
    assert {kind for edits in EVERY_KIND for kind, _, _ in edits} == set(EDITS)


def test_the_candidate_quotes_are_in_their_texts():
    """The generator only quotes what its stored text says (else every example fails for the wrong reason)."""
    assert len(CITED) > 10
    for source, quote in CITED:
        assert quote in TEXTS[source].replace("\r\n", " ").replace("\n", " ")
