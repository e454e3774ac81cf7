"""The packaged theme, custom_dir overrides on top of it (MkDocs' rule), and "Edit this page" links."""

from __future__ import annotations

from conftest import TEMPLATES, snapshot

ABOUT = "---\ntitle: About\nsummary: Who we are.\n---\nWe count piers.\n"


def packaged(extra: str = "") -> str:
    return ("site_name: Tiny Facts\nsite_url: https://example.org/tiny/\ndocs_dir: content\n"
            f"{extra}plugins:\n  - sitegen:\n      search: false\n")


def built(site) -> dict[str, bytes]:
    result = site.run("build")
    assert result.returncode == 0, result.stderr
    return {k: v for k, v in snapshot(site.site_dir).items() if not k.startswith(".")}


def test_no_theme_setting_means_the_packaged_theme(tiny_site):
    """Without a theme (or with theme.name: factsheet) the site is the one the theme folder gives."""
    as_folder = built(tiny_site({"content/about.md": ABOUT}))  # conftest: custom_dir = the theme's folder, name null
    assert built(tiny_site({"content/about.md": ABOUT}, config=packaged())) == as_folder
    assert built(tiny_site({"content/about.md": ABOUT}, config=packaged("theme:\n  name: factsheet\n"))) == as_folder


def test_overriding_one_template_changes_only_its_pages(tiny_site):
    plain = built(tiny_site({"content/about.md": ABOUT}, config=packaged()))
    page_html = (TEMPLATES / "page.html").read_text(encoding="utf-8")
    overridden = built(tiny_site({
        "content/about.md": ABOUT,
        "overrides/page.html": page_html.replace('<article class="plain"', '<article class="plain overridden"'),
        "overrides/static/site.css": "body { color: teal }\n",   # replaces the theme's
        "overrides/static/extra.js": "// added by the site\n",  # added beside the theme's
    }, config=packaged("theme:\n  name: factsheet\n  custom_dir: overrides\n")))
    changed = sorted(k for k in plain.keys() | overridden.keys() if plain.get(k) != overridden.get(k))
    # only the plain page, and the two static files, differ; everything else is byte for byte the theme's
    assert changed == ["about/index.html", "assets/extra.js", "assets/site.css"]
    assert b'<article class="plain overridden"' in overridden["about/index.html"]
    assert overridden["assets/site.css"] == b"body { color: teal }\n"
    assert overridden["assets/site.js"] == (TEMPLATES / "static" / "site.js").read_bytes()


def test_a_template_error_in_an_override_names_the_override(tiny_site):
    site = tiny_site({"overrides/sheet.html": "{% extends 'base.html' %}{% block content %}{{ nope }}{% endblock %}"},
                     config=packaged("theme:\n  custom_dir: overrides\n"))
    result = site.run("build")
    assert result.returncode == 1
    assert result.stderr.startswith("overrides/sheet.html:1:1: error: template error while rendering "
                                    "sheets/pier/index.html: 'nope' is undefined\n")


def test_edit_links_on_sheets_and_plain_pages(tiny_site):
    repo = "repo_url: https://github.com/example/facts\nedit_uri: edit/main/content/\n"
    pages = built(tiny_site({"content/about.md": ABOUT}, config=packaged(repo)))
    link = '<p class="meta edit-link"><a href="https://github.com/example/facts/edit/main/content/{}" rel="edit">'
    assert link.format("sheets/pier.md").encode() in pages["sheets/pier/index.html"]
    assert link.format("about.md").encode() in pages["about/index.html"]
    assert b"Edit this page" not in pages["index.html"] and b"Edit this page" not in pages["sources/gazette-pier/index.html"]
    # without repo_url and edit_uri there is no link, as in MkDocs
    bare = built(tiny_site({"content/about.md": ABOUT}, config=packaged()))
    assert not any(b"Edit this page" in data for data in bare.values())


def test_every_template_is_compiled_before_workers_fork_and_a_broken_unused_one_is_left_alone(tmp_path):
    """Forked render workers share the parent's compiled templates instead of compiling their own;
    a template no page uses may be broken without failing the build (a page that uses it reports it)."""
    from types import SimpleNamespace

    from sitegen.render.pages import Renderer, make_environment
    (tmp_path / "good.html").write_text("{{ 1 + 1 }}", encoding="utf-8")
    (tmp_path / "broken.html").write_text("{% if %}", encoding="utf-8")
    env = make_environment((tmp_path,))
    Renderer.compile_templates(SimpleNamespace(env=env))
    assert sorted(name for _, name in env.cache) == ["good.html"]


def test_a_long_page_is_written_in_parts_that_join_to_the_page_jinja_renders(tmp_path):
    """render_parts hands a page to the writer a few thousand pieces at a time (a 17 MB timeline
    is never held whole); the parts are the rendered page's bytes, whatever the split."""
    from types import SimpleNamespace

    from sitegen.render.pages import PageJob, Renderer, make_environment
    (tmp_path / "long.html").write_text("{% for i in range(20000) %}<li>{{ i }} é</li>{% endfor %}\n", encoding="utf-8")
    env = make_environment((tmp_path,))
    renderer = SimpleNamespace(env=env)
    parts = list(Renderer._parts(renderer, PageJob("long/index.html", "long.html", dict), {}))
    assert len(parts) > 2 and b"".join(parts) == env.get_template("long.html").render().encode("utf-8")
