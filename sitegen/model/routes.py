"""The URL layout, defined once: every URL, every output path and the names sitegen reserves.

URLs are site-relative and end in '/' for a page ("sheets/x/"); a page's file is its
URL plus "index.html". The reserved names (the first path segments an editor's page or
file may not take) are read off the same table, so a new page family or file cannot be
published without also being protected.
"""

from __future__ import annotations

INDEX = "index.html"

# Pages of their own, by URL.
HOME = ""
SHEETS = "sheets/"
SOURCES = "sources/"
TOPICS = "topics/"
ENTITIES = "entities/"
TIMELINE = "timeline/"
FIGURES = "figures/"
SEARCH = "search/"
LISTINGS = (HOME, SHEETS, SOURCES, TOPICS, ENTITIES, TIMELINE, FIGURES, SEARCH)

# Files of their own, by output path.
NOT_FOUND = "404.html"
FEED = "feed.xml"
SITEMAP = "sitemap.xml"
ROBOTS = "robots.txt"
DATA = "data/"
SHEETS_JSON = DATA + "sheets.json"
FACTS_JSON = DATA + "facts.json"
FILES = (NOT_FOUND, FEED, SITEMAP, ROBOTS, SHEETS_JSON, FACTS_JSON)

# Folders sitegen fills: the theme's static files, and the Pagefind index.
ASSETS = "assets/"
PAGEFIND = "pagefind/"
FOLDERS = (ASSETS, PAGEFIND)


def sheet(sheet_id: str) -> str:
    return f"{SHEETS}{sheet_id}/"


def source(source_id: str) -> str:
    return f"{SOURCES}{source_id}/"


def topic(topic_id: str) -> str:
    return f"{TOPICS}{topic_id}/"


def entity(entity_id: str) -> str:
    return f"{ENTITIES}{entity_id}/"


def page(slug: str) -> str:
    """A plain page's URL from its slug ('about', 'guides/intro'; '' for the home page)."""
    return f"{slug}/" if slug else HOME


def asset(name: str) -> str:
    """Where a theme's static/<name> is published."""
    return ASSETS + name


def sheet_file(sheet_id: str) -> str:
    """A sheet's Markdown file under docs_dir: its URL is read off this place."""
    return f"{SHEETS}{sheet_id}.md"


def output_path(url: str) -> str:
    """The file a URL is served from: 'sheets/x/' -> 'sheets/x/index.html', '' -> 'index.html'."""
    return url + INDEX if url == HOME or url.endswith("/") else url


def url_of(path: str) -> str:
    """The URL of an output file: 'a/index.html' -> 'a/', 'index.html' -> '', 'feed.xml' as it is."""
    if path == INDEX:
        return HOME
    return path[: -len(INDEX)] if path.endswith("/" + INDEX) else path


def is_page(path: str) -> bool:
    """Whether an output file is a page (listed in the sitemap): an index.html."""
    return path == INDEX or path.endswith("/" + INDEX)


def root_for(path: str) -> str:
    """The relative prefix from an output file back to the site's top: '../../' from a sheet."""
    depth = path.count("/")
    return "../" * depth if depth else "./"


def first_segment(path: str) -> str:
    return path.split("/", 1)[0]


# The first segments that are sitegen's: every listing, file and folder above, and the home page's file.
RESERVED = frozenset(first_segment(output_path(url)) for url in (*LISTINGS, *FILES, *FOLDERS))

# The folders of docs_dir whose files are records rather than pages, named as the URLs they become.
SHEET_FOLDER = first_segment(SHEETS)
SOURCE_FOLDER = first_segment(SOURCES)
DATA_FOLDER = first_segment(DATA)  # topics.yml and entities.yml
RECORD_FOLDERS = (SHEET_FOLDER, SOURCE_FOLDER, DATA_FOLDER)
