"""Generate a synthetic, deterministic fact-sheet site for benchmarking.

``python bench/gen_corpus.py 1000`` writes ``bench/corpus/n1000/``: N sheets
citing N/10 stored sources, vocabularies, a home page, and four configuration
files for the same Markdown, so that every generator is timed on one corpus:

- ``mkdocs.yml``         sitegen, ``search: false`` (the headline numbers)
- ``mkdocs-search.yml``  sitegen with the Pagefind index (its own site and cache)
- ``mkdocs-stock.yml``   stock MkDocs, theme ``mkdocs``, no nav, no sitegen plugin
- ``hugo/hugo.yaml``     Hugo with a minimal layout, reading the same ``content/``

Everything comes from ``random.Random(seed)``: the same N and seed give the
same bytes. The prose is made up from small word banks, but it is shaped like
the real thing: sources are ~600-1,000-word news items in the crawled-news
format with a correct sha256; sheets have ~700-word bodies with headings,
lists, a table, footnotes and inline citations, and every quote (front matter
or inline) is a verbatim run of words from the cited source's text.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import random
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

GENERATOR_VERSION = 1
REPO = Path(__file__).resolve().parent.parent

# --- word banks (written for this generator) -------------------------------

PLACES = ["Northport", "Calden", "Ravenmoor", "Easthaven", "Lindqvist Bay", "Marrow Hill", "Tessaly",
          "Port Orlen", "Westerfield", "Quillon", "Brannock", "Stellmark", "Ardenne Falls", "Vesper"]
PUBLISHERS = ["Harbour Gazette", "Meridian Wire", "Civic Ledger", "Northport Review", "Daily Ember",
              "Coastline Post", "Regional Monitor", "The Lantern", "Public Affairs Bulletin", "Metro Record"]
KINDS = ["news", "news", "news", "statement", "readout", "announcement", "report", "regulation"]
COUNTRIES = ["CN", "US", "MX", "CA", "IN", "DE", "FR", "GB", "JP", "KR", "BR", "NL", "BE", "SG", "TH"]
MONTHS = ["Jan.", "Feb.", "March", "April", "May", "June", "July", "Aug.", "Sept.", "Oct.", "Nov.", "Dec."]

SYLLABLES = ["ka", "ren", "tol", "mi", "sa", "dor", "vel", "an", "is", "bro", "lin", "ter", "qua", "no",
             "fi", "hal", "mor", "ce", "lu", "pra", "vin", "est", "ol", "gar", "thi", "ur", "jen", "wal"]
ORG_HEADS = ["Agency", "Council", "Bureau", "Commission", "Office", "Directorate", "Board", "Institute",
             "Authority", "Secretariat", "Taskforce", "Administration"]
ROLES = ["Director", "Deputy Director", "Spokesperson", "Minister", "Chief Inspector", "Senior Adviser",
         "Chair", "Commissioner", "Head of Policy", "Under-Secretary"]

ADJECTIVES = ["regional", "joint", "national", "cross-border", "interim", "annual", "technical",
              "bilateral", "municipal", "independent", "provisional", "coordinated", "revised", "public",
              "voluntary", "mandatory", "digital", "local", "federal", "sectoral", "preliminary", "formal"]
NOUNS = ["inspection", "licensing", "customs", "shipment", "registry", "laboratory", "framework",
         "agreement", "audit", "enforcement", "reporting", "training", "procurement", "monitoring",
         "oversight", "exchange", "compliance", "screening", "supply", "distribution", "safety",
         "transparency", "review", "partnership", "certification", "tracking", "guidance", "outreach"]
PLURALS = ["inspections", "licences", "shipments", "laboratories", "agreements", "audits", "cases",
           "permits", "consignments", "seizures", "warnings", "workshops", "referrals", "requests",
           "notices", "reports", "visits", "checks", "complaints", "registrations"]
VERBS_PAST = ["announced", "confirmed", "expanded", "reviewed", "published", "approved", "extended",
              "tightened", "suspended", "launched", "completed", "adopted", "endorsed", "revised",
              "recorded", "reported", "proposed", "outlined", "signed", "finalised"]
VERBS_PRESENT = ["requires", "covers", "allows", "limits", "sets out", "describes", "supports",
                 "tracks", "lists", "defines", "restricts", "funds", "coordinates", "assesses"]
OBJECTS = ["the new rules", "a shared database", "the pilot programme", "stricter controls",
           "the reporting schedule", "an updated list", "the working arrangement", "quarterly reviews",
           "the inspection regime", "a common standard", "the licensing round", "the exchange of data",
           "a training course", "the joint statement", "the draft regulation", "new guidance"]
CLAUSES = ["after months of talks", "following a public consultation", "ahead of the winter session",
           "at the request of local officials", "under the terms of the agreement",
           "despite objections from industry groups", "as part of a wider review",
           "in line with earlier commitments", "before the end of the fiscal year",
           "with support from partner agencies", "according to officials familiar with the plan",
           "in a statement released on Tuesday", "during a briefing with reporters"]
CONNECTIVES = ["In addition", "However", "At the same time", "By contrast", "In practice", "Since then",
               "Officials said", "For now", "In the meantime", "As a result", "Under the plan"]
UNITS = ["inspections", "tonnes of chemicals", "licences", "shipments", "laboratories", "cases",
         "officers", "permits", "companies", "websites", "workshops", "seizures"]
TOPIC_HEADS = ["Controls", "Cooperation", "Enforcement", "Oversight", "Reporting", "Licensing",
               "Trade", "Training", "Standards", "Data sharing", "Inspections", "Funding"]


def _words(rng: random.Random, bank: list[str], k: int) -> list[str]:
    return rng.sample(bank, k)


def _name(rng: random.Random, parts: int) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(parts)).capitalize()


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def yaml_str(text: str) -> str:
    """A double-quoted YAML scalar (JSON strings are valid YAML)."""
    return json.dumps(text, ensure_ascii=False)


# --- the world: topics, entities, sources ----------------------------------

@dataclass
class Entity:
    id: str
    name: str
    kind: str
    role: str = ""
    organization: str = ""
    country: str = ""


@dataclass
class Figure:
    value: str
    label: str
    quote: str


@dataclass
class Source:
    id: str
    title: str
    publisher: str
    published: dt.date
    kind: str
    sentences: list[str] = field(default_factory=list)   # body sentences, each verbatim in the text
    figures: list[Figure] = field(default_factory=list)
    text: str = ""


class Prose:
    """Sentences from the word banks; every sentence is plain ASCII without quotes."""

    def __init__(self, rng: random.Random, entities: list[Entity], topics: list[tuple[str, str]]):
        self.rng, self.entities, self.topics = rng, entities, topics

    def actor(self) -> str:
        e = self.rng.choice(self.entities)
        if e.kind == "person":
            return f"{e.role} {e.name}" if self.rng.random() < 0.5 else e.name
        return f"the {e.name}"

    def sentence(self) -> str:
        r = self.rng
        form = r.randrange(6)
        if form == 0:
            s = f"{self.actor()} {r.choice(VERBS_PAST)} {r.choice(OBJECTS)} {r.choice(CLAUSES)}"
        elif form == 1:
            s = (f"{r.choice(CONNECTIVES)}, the {r.choice(ADJECTIVES)} {r.choice(NOUNS)} programme "
                 f"{r.choice(VERBS_PRESENT)} {r.choice(OBJECTS)} for {r.choice(PLURALS)}")
        elif form == 2:
            s = (f"The {r.choice(ADJECTIVES)} {r.choice(NOUNS)} plan {r.choice(VERBS_PRESENT)} "
                 f"{r.choice(OBJECTS)} and {r.choice(VERBS_PRESENT)} {r.choice(OBJECTS)}")
        elif form == 3:
            s = (f"{self.actor()} said the {r.choice(NOUNS)} of {r.choice(PLURALS)} in {r.choice(PLACES)} "
                 f"would be {r.choice(VERBS_PAST)} {r.choice(CLAUSES)}")
        elif form == 4:
            s = (f"Work on {r.choice(self.topics)[1].lower()} has {r.choice(VERBS_PAST)} "
                 f"{r.choice(OBJECTS)}, with {r.randint(2, 40)} {r.choice(PLURALS)} planned in {r.choice(PLACES)}")
        else:
            s = (f"{r.choice(CONNECTIVES)}, {self.actor()} {r.choice(VERBS_PAST)} that "
                 f"{r.choice(ADJECTIVES)} {r.choice(PLURALS)} had {r.choice(VERBS_PAST)} {r.choice(OBJECTS)}")
        return s[0].upper() + s[1:] + "."

    def figure_sentence(self, year: int) -> tuple[str, Figure]:
        r = self.rng
        n = r.choice([r.randint(3, 99), r.randint(100, 9999)])
        unit = r.choice(UNITS)
        value = f"{n:,}"
        core = f"{r.choice(['recorded', 'reported', 'counted', 'registered'])} {value} {unit} in {year}"
        s = f"{self.actor()} {core}, {r.choice(CLAUSES)}."
        label = f"{unit.capitalize()} in {year} ({r.choice(ADJECTIVES)} {r.choice(NOUNS)})"
        return s[0].upper() + s[1:], Figure(value, label, core)

    def paragraph(self, sentences: int) -> str:
        return " ".join(self.sentence() for _ in range(sentences))


def make_topics(rng: random.Random, count: int) -> list[tuple[str, str]]:
    topics, seen = [], set()
    while len(topics) < count:
        name = f"{rng.choice(ADJECTIVES).capitalize()} {rng.choice(NOUNS)} {rng.choice(TOPIC_HEADS).lower()}"
        if slug(name) not in seen:
            seen.add(slug(name))
            topics.append((slug(name), name))
    return topics


def make_entities(rng: random.Random, count: int) -> list[Entity]:
    entities, seen = [], set()
    while len(entities) < count:
        if rng.random() < 0.6:
            name = f"{_name(rng, 2)} {_name(rng, rng.choice([2, 3]))}"
            org = f"{rng.choice(ADJECTIVES).capitalize()} {rng.choice(NOUNS).capitalize()} {rng.choice(ORG_HEADS)}"
            e = Entity(slug(name), name, "person", rng.choice(ROLES), org, rng.choice(COUNTRIES))
        else:
            name = f"{rng.choice(ADJECTIVES).capitalize()} {rng.choice(NOUNS).capitalize()} {rng.choice(ORG_HEADS)}"
            e = Entity(slug(name), name, "organization", country=rng.choice(COUNTRIES))
        if e.id not in seen:
            seen.add(e.id)
            entities.append(e)
    return entities


def make_source(rng: random.Random, prose: Prose, index: int) -> Source:
    published = dt.date(2018, 1, 1) + dt.timedelta(days=rng.randrange(2500))
    publisher = rng.choice(PUBLISHERS)
    title = f"{prose.actor()} {rng.choice(VERBS_PAST)} {rng.choice(OBJECTS)} on {rng.choice(NOUNS)}"
    title = title[0].upper() + title[1:]
    sid = f"{slug(publisher).split('-')[0]}-{published.isoformat()}-{index:05d}"
    src = Source(sid, title, publisher, published, rng.choice(KINDS))
    target = rng.randint(600, 1000)
    paragraphs, words = [], 0
    figures_wanted = rng.randint(2, 4)
    while words < target:
        sentences = []
        for _ in range(rng.randint(2, 5)):
            if len(src.figures) < figures_wanted and rng.random() < 0.3:
                s, fig = prose.figure_sentence(rng.randint(published.year - 3, published.year))
                src.figures.append(fig)
            else:
                s = prose.sentence()
            sentences.append(s)
        src.sentences.extend(sentences)
        paragraphs.append(" ".join(sentences))
        words += sum(len(s.split()) for s in sentences)
    while len(src.figures) < figures_wanted:  # make sure every source has figures to cite
        s, fig = prose.figure_sentence(published.year)
        src.figures.append(fig)
        src.sentences.append(s)
        paragraphs.append(s)
    place = rng.choice(PLACES)
    head = (f" date {published.isoformat()} {title}\n\n"
            f"{publisher}) {rng.randint(7, 22):02d}:{rng.randint(0, 59):02d}, "
            f"{published.strftime('%B')} {published.day}, {published.year}\n\n")
    dateline = f"{place.upper()}, {MONTHS[published.month - 1]} {published.day} ({publisher}) -- "
    src.text = head + dateline + "\n\n".join(paragraphs) + "\n"
    return src


def quote_from(rng: random.Random, sentence: str, lo: int = 5, hi: int = 12) -> str:
    """A verbatim run of whole words from one sentence, without edge punctuation."""
    words = sentence.split()
    n = min(len(words), rng.randint(lo, hi))
    start = rng.randrange(len(words) - n + 1)
    return " ".join(words[start:start + n]).strip(".,;:")


# --- sheets -----------------------------------------------------------------

def sheet_titles(rng: random.Random, n: int) -> list[tuple[str, str]]:
    """(id, title) pairs; the id is the title's slug plus a serial, so ids are unique."""
    pairs = []
    for i in range(n):
        base = f"{rng.choice(TOPIC_HEADS)} of {rng.choice(NOUNS)} in {rng.choice(PLACES)}"
        pairs.append((f"{slug(base)}-{i + 1:05d}", f"{base} ({i + 1})"))
    return pairs


def make_sheet(rng: random.Random, prose: Prose, sid: str, title: str, sources: list[Source],
               topics, entities: list[Entity], related: list[tuple[str, str]]) -> str:
    cited = rng.sample(sources, min(len(sources), rng.randint(2, 4)))
    as_of = max(s.published for s in cited) + dt.timedelta(days=rng.randint(1, 90))
    review_by = dt.date(2031 + rng.randrange(5), rng.randint(1, 12), rng.randint(1, 28))
    my_topics = rng.sample(topics, rng.randint(1, 3))
    my_entities = rng.sample(entities, rng.randint(2, 4))
    fm = ["---", f"title: {yaml_str(title)}",
          f"summary: {yaml_str(prose.sentence() + ' ' + prose.sentence())}",
          f"as_of: {as_of.isoformat()}", f"review_by: {review_by.isoformat()}", "status: published",
          f"topics: [{', '.join(t[0] for t in my_topics)}]",
          f"countries: [{', '.join(sorted(rng.sample(COUNTRIES, rng.randint(1, 3))))}]",
          f"entities: [{', '.join(e.id for e in my_entities)}]", "key_facts:"]
    for _ in range(rng.randint(3, 6)):
        src = rng.choice(cited)
        sentence = rng.choice(src.sentences)
        fm += [f"  - text: {yaml_str(prose.sentence())}", f"    cite: {src.id}"]
        if rng.random() < 0.8:
            fm.append(f"    quote: {yaml_str(quote_from(rng, sentence))}")
    fm.append("figures:")
    for _ in range(rng.randint(1, 3)):
        src = rng.choice(cited)
        fig = rng.choice(src.figures)
        fm += [f"  - label: {yaml_str(fig.label)}", f"    value: {yaml_str(fig.value)}",
               f"    cite: {src.id}", f"    quote: {yaml_str(fig.quote)}"]
    fm.append("timeline:")
    events = sorted(((s.published - dt.timedelta(days=rng.randint(0, 400)), s) for s in
                    (rng.choice(cited) for _ in range(rng.randint(2, 4)))), key=lambda e: e[0])
    for day, src in events:
        precision = rng.random()
        date = day.isoformat() if precision < 0.7 else day.isoformat()[:7] if precision < 0.9 else str(day.year)
        fm += [f"  - date: {yaml_str(date)}", f"    text: {yaml_str(prose.sentence())}", f"    cite: {src.id}"]
        if rng.random() < 0.5:
            fm.append(f"    quote: {yaml_str(quote_from(rng, rng.choice(src.sentences)))}")
    fm.append(f"related: [{', '.join(r[0] for r in related)}]")
    fm.append("---")
    return "\n".join(fm) + "\n" + sheet_body(rng, prose, cited, my_entities, related) + "\n"


def sheet_body(rng: random.Random, prose: Prose, cited: list[Source], entities: list[Entity],
               related: list[tuple[str, str]]) -> str:
    def cite() -> str:
        src = rng.choice(cited)
        if rng.random() < 0.4:
            return f'[@{src.id} "{quote_from(rng, rng.choice(src.sentences), 4, 10)}"]'
        return f"[@{src.id}]"

    def para(sentences: int) -> str:
        out = []
        for _ in range(sentences):
            out.append(prose.sentence())
            if rng.random() < 0.35:
                out[-1] = out[-1][:-1] + " " + cite() + "."
        return " ".join(out)

    people = [e for e in entities if e.kind == "person"] or entities
    lines = [para(4), "", f"## {rng.choice(TOPIC_HEADS)} in {rng.choice(PLACES)}", "",
             para(5) + "[^1]", "", para(4), "",
             f"### What the {rng.choice(ADJECTIVES)} {rng.choice(NOUNS)} covers", ""]
    for _ in range(rng.randint(4, 6)):
        lines.append(f"- {prose.sentence()}")
    lines += ["", f"## {rng.choice(ADJECTIVES).capitalize()} figures", "", para(2), "",
              "| Measure | Value | Year |", "|---|---:|---|"]
    for _ in range(rng.randint(4, 6)):
        lines.append(f"| {rng.choice(UNITS).capitalize()} | {rng.randint(3, 9999):,} | {rng.randint(2015, 2024)} |")
    lines += ["", f"## {rng.choice(['Developments', 'Next steps', 'Reactions', 'Background'])}", "",
              para(5), "", f"**{people[0].name}** {rng.choice(VERBS_PAST)} {rng.choice(OBJECTS)} "
              f"{rng.choice(CLAUSES)}[^2] {cite()}.", ""]
    for i in range(rng.randint(3, 4)):
        lines.append(f"{i + 1}. {prose.sentence()}")
    lines += ["", para(4), "", para(3), ""]
    if related:
        links = ", ".join(f"[{title}]({rid}.md)" for rid, title in related)
        lines += [f"See also: {links}.", ""]
    lines += [f"[^1]: {prose.sentence()}", f"[^2]: {prose.sentence()} {cite()}"]
    return "\n".join(lines)


# --- configuration files -----------------------------------------------------

def write_configs(out: Path, n: int) -> None:
    common = (f"site_name: Benchmark corpus ({n} sheets)\n"
              "site_description: Generated fact sheets for timing site generators.\n"
              "site_url: http://127.0.0.1:8000/\n"
              "docs_dir: content\n"
              "use_directory_urls: true\n")
    extensions = ("markdown_extensions:\n  - tables\n  - footnotes\n  - sane_lists\n"
                  "  - toc:\n      permalink: false\n")
    theme = "theme:\n  name: factsheet\n  locale: en\n"  # sitegen's packaged theme
    (out / "mkdocs.yml").write_text(
        "# sitegen, without the search index: the headline benchmark numbers.\n" + common +
        "site_dir: site\n" + theme + extensions + "plugins:\n  - sitegen:\n      search: false\n")
    (out / "mkdocs-search.yml").write_text(
        "# sitegen with the Pagefind index; its own site_dir and cache.\n" + common +
        "site_dir: site-search\n" + theme + extensions +
        "plugins:\n  - sitegen:\n      search: true\n      cache_dir: .sitegen-cache-search\n")
    (out / "mkdocs-stock.yml").write_text(
        "# Stock MkDocs on the same Markdown: theme mkdocs, no nav (MkDocs lists every page),\n"
        "# MkDocs' default plugins (its built-in search), no sitegen plugin.\n" + common +
        "site_dir: site-mkdocs\ntheme:\n  name: mkdocs\n" + extensions)
    hugo = out / "hugo"
    layouts = hugo / "layouts" / "_default"
    layouts.mkdir(parents=True, exist_ok=True)
    (hugo / "content").mkdir(exist_ok=True)
    (hugo / "content" / "_index.md").write_text((out / "content" / "index.md").read_text())
    (hugo / "hugo.yaml").write_text(
        "# Hugo on the same content/ folder with a minimal layout (see layouts/).\n"
        f"title: Benchmark corpus ({n} sheets)\nbaseURL: http://127.0.0.1:8000/\n"
        "publishDir: ../site-hugo\nresourceDir: ../.hugo-resources\n"
        "# The shared Markdown is mounted; Hugo needs _index.md (not index.md) for its home page,\n"
        "# so the home page comes from hugo/content/_index.md. Sources and data are copied as is.\n"
        "module:\n  mounts:\n"
        "    - {source: ../content, target: content, excludeFiles: [index.md, sources/**, data/**]}\n"
        "    - {source: content, target: content}\n"
        "    - {source: ../content/sources, target: static/sources}\n"
        "    - {source: ../content/data, target: static/data}\n"
        "disableKinds: [taxonomy, term]\nenableRobotsTXT: false\n"
        "markup:\n  goldmark:\n    renderer:\n      unsafe: false\n")
    (layouts / "baseof.html").write_text(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
        "<title>{{ .Title }} - {{ site.Title }}</title></head>\n"
        "<body><header><a href=\"{{ site.Home.RelPermalink }}\">{{ site.Title }}</a></header>\n"
        "<main>{{ block \"main\" . }}{{ end }}</main></body></html>\n")
    (layouts / "single.html").write_text(
        "{{ define \"main\" }}<h1>{{ .Title }}</h1>\n<p>{{ .Params.summary }}</p>\n"
        "<ul>{{ range .Params.key_facts }}<li>{{ .text }} ({{ .cite }})</li>{{ end }}</ul>\n"
        "{{ .Content }}{{ end }}\n")
    (layouts / "list.html").write_text(
        "{{ define \"main\" }}<h1>{{ .Title }}</h1>\n{{ .Content }}\n"
        "<ul>{{ range .Pages }}<li><a href=\"{{ .RelPermalink }}\">{{ .Title }}</a></li>{{ end }}</ul>{{ end }}\n")


# --- the whole corpus ---------------------------------------------------------

def generate(n: int, out: Path, seed: int = 1) -> dict:
    """Write the corpus for ``n`` sheets into ``out`` (replaced); return its manifest."""
    rng = random.Random(f"sitegen-bench-{seed}-{n}")
    if out.exists():
        shutil.rmtree(out)
    content = out / "content"
    for sub in ("sheets", "sources", "data"):
        (content / sub).mkdir(parents=True)
    topics = make_topics(rng, max(8, n // 50))
    entities = make_entities(rng, max(20, n // 10))
    prose = Prose(rng, entities, topics)
    sources = [make_source(rng, prose, i) for i in range(max(1, n // 10))]
    for src in sources:
        raw = src.text.encode("utf-8")
        (content / "sources" / f"{src.id}.txt").write_bytes(raw)
        (content / "sources" / f"{src.id}.yml").write_text(
            f"title: {yaml_str(src.title)}\npublisher: {yaml_str(src.publisher)}\n"
            f"published: {src.published.isoformat()}\nurl: https://example.org/news/{src.id}\n"
            f"language: en\nkind: {src.kind}\nrights: excerpts\n"
            f"sha256: {hashlib.sha256(raw).hexdigest()}\n")
    (content / "data" / "topics.yml").write_text("".join(
        f"{tid}:\n  name: {yaml_str(name)}\n  description: {yaml_str(prose.sentence())}\n" for tid, name in topics))
    ent_lines = []
    for e in entities:
        ent_lines += [f"{e.id}:", f"  name: {yaml_str(e.name)}", f"  kind: {e.kind}"]
        if e.role:
            ent_lines += [f"  role: {yaml_str(e.role)}", f"  organization: {yaml_str(e.organization)}"]
        ent_lines.append(f"  country: {e.country}")
    (content / "data" / "entities.yml").write_text("\n".join(ent_lines) + "\n")

    pairs = sheet_titles(rng, n)
    ids, titles = [p[0] for p in pairs], dict(pairs)
    body_words = []
    for i, sid in enumerate(ids):
        others = [j for j in rng.sample(range(n), min(n, 3)) if j != i][:2]
        related = [(ids[j], titles[ids[j]]) for j in others]
        text = make_sheet(rng, prose, sid, titles[sid], sources, topics, entities, related)
        body_words.append(len(text.split("\n---\n", 1)[1].split()))
        (content / "sheets" / f"{sid}.md").write_text(text)
    (content / "index.md").write_text(
        "---\ntitle: Benchmark corpus\nsummary: Generated fact sheets for timing site generators.\n---\n"
        + prose.paragraph(5) + "\n\nRead [about this corpus](about.md).\n")
    (content / "about.md").write_text(
        "---\ntitle: About this corpus\n---\n" + prose.paragraph(6) + "\n\n" + prose.paragraph(4) + "\n")
    write_configs(out, n)
    body_words.sort()
    manifest = {
        "generator_version": GENERATOR_VERSION, "sheets": n, "seed": seed, "sources": len(sources),
        "topics": len(topics), "entities": len(entities),
        "sheet_body_words_median": body_words[len(body_words) // 2],
        "source_words_median": sorted(len(s.text.split()) for s in sources)[len(sources) // 2],
    }
    (out / "corpus.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sheets", type=int, help="number of sheets (sources: one per ten sheets)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, help="output folder (default bench/corpus/n<N>)")
    args = parser.parse_args(argv)
    out = args.out or REPO / "bench" / "corpus" / f"n{args.sheets}"
    manifest = generate(args.sheets, out, args.seed)
    print(f"wrote {out}: {json.dumps(manifest)}")


if __name__ == "__main__":
    main()
