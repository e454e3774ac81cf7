"""The route table: every URL, output path and reserved name comes from sitegen/model/routes.py."""

from __future__ import annotations

import pytest

from sitegen.read import loader

from sitegen.model import routes


def test_each_family_has_its_folder():
    assert (routes.sheet("x"), routes.source("x"), routes.topic("x"), routes.entity("x")) == (
        "sheets/x/", "sources/x/", "topics/x/", "entities/x/")
    assert (routes.page("about"), routes.page("guides/intro"), routes.page("")) == ("about/", "guides/intro/", "")
    assert routes.sheet_file("x") == "sheets/x.md" and routes.asset("site.css") == "assets/site.css"


@pytest.mark.parametrize("url, path", [
    ("", "index.html"), ("sheets/x/", "sheets/x/index.html"), ("timeline/", "timeline/index.html"),
    ("feed.xml", "feed.xml"), ("data/sheets.json", "data/sheets.json"), ("404.html", "404.html"),
])
def test_output_path_and_url_of_are_inverse(url, path):
    assert routes.output_path(url) == path
    assert routes.url_of(path) == url


def test_url_of_a_file_named_like_index():
    assert routes.url_of("notindex.html") == "notindex.html"
    assert not routes.is_page("notindex.html") and routes.is_page("index.html") and routes.is_page("a/index.html")


@pytest.mark.parametrize("path, root", [
    ("index.html", "./"), ("404.html", "./"), ("sheets/index.html", "../"), ("sheets/x/index.html", "../../"),
])
def test_root_for(path, root):
    assert routes.root_for(path) == root


def test_reserved_names_are_read_off_the_table():
    assert routes.RESERVED == {"sheets", "sources", "topics", "entities", "timeline", "figures", "data", "assets",
                               "pagefind", "404.html", "feed.xml", "sitemap.xml", "robots.txt", "index.html", "search"}
    assert loader.RESERVED is routes.RESERVED  # the loader refuses names by the table itself


def test_every_listing_file_and_folder_is_reserved():
    for url in (*routes.LISTINGS, *routes.FILES, *routes.FOLDERS):
        assert routes.first_segment(routes.output_path(url)) in routes.RESERVED
    assert routes.RECORD_FOLDERS == ("sheets", "sources", "data")
