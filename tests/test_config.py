"""Stage 1: mkdocs.yml → SiteConfig. MkDocs' keys keep their meaning; problems exit 2 at their line."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from sitegen.config import DEFAULT_EXTENSIONS, PLUGIN_OPTIONS, SiteConfig, load_config, option, options_of, options_yaml
from sitegen.errors import ConfigError

from conftest import REPO


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "mkdocs.yml"
    path.write_text(text, encoding="utf-8")
    return path


def config_error(tmp_path: Path, text: str) -> str:
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, text))
    assert info.value.exit_code == 2
    return info.value.format_message()


def test_mkdocs_keys(tmp_path):
    config = load_config(write(tmp_path, """\
site_name: Facts
site_url: https://example.org/facts/
site_description: About facts.
site_author: A. Writer
copyright: CC BY 4.0
repo_url: https://github.com/example/facts
edit_uri: edit/main/content/
docs_dir: pages
site_dir: public
use_directory_urls: true
nav:
  - Home: index.md
theme:
  name: null
  custom_dir: theme
  locale: fr
markdown_extensions:
  - tables
  - toc:
      permalink: false
extra:
  analytics: none
  links: [a, b]
plugins:
  - search
  - sitegen:
      drafts: true
      strict: true
      search: false
      max_file_size: 1000
      cname: facts.example.org
"""))
    assert config.site_name == "Facts"
    assert config.site_url == "https://example.org/facts/"
    assert (config.site_description, config.site_author, config.copyright) == ("About facts.", "A. Writer", "CC BY 4.0")
    assert (config.repo_url, config.edit_uri) == ("https://github.com/example/facts", "edit/main/content/")
    assert config.root == tmp_path
    assert config.docs_dir == tmp_path / "pages"
    assert config.site_dir == tmp_path / "public"
    assert config.templates_dir == tmp_path / "theme"
    assert config.locale == "fr"
    assert config.markdown_extensions == (("tables", {}), ("toc", {"permalink": False}))
    assert config.extra == {"analytics": "none", "links": ["a", "b"]}
    assert type(config.extra) is dict and type(config.extra["links"]) is list
    assert (config.drafts, config.strict, config.search) == (True, True, False)
    assert (config.max_file_size, config.cname) == (1000, "facts.example.org")


def test_defaults(tmp_path):
    config = load_config(write(tmp_path, "site_name: Facts\n"))
    assert config.docs_dir == tmp_path / "docs"  # MkDocs' default
    assert config.site_dir == tmp_path / "site"
    assert (config.theme_name, config.templates_dir) == ("factsheet", None)
    assert config.theme_dirs == (REPO / "sitegen" / "themes" / "factsheet",)
    assert config.markdown_extensions == DEFAULT_EXTENSIONS
    assert (config.site_url, config.locale, config.use_directory_urls) == ("", "en", True)
    assert (config.drafts, config.strict, config.search) == (False, False, True)


def test_config_is_frozen(tmp_path):
    config = load_config(write(tmp_path, "site_name: Facts\n"))
    with pytest.raises(AttributeError):
        config.site_name = "Other"  # type: ignore[misc]
    assert config.with_options(drafts=True).drafts is True
    assert config.drafts is False


def test_crlf_and_bom(tmp_path):
    path = tmp_path / "mkdocs.yml"
    path.write_bytes(b"\xef\xbb\xbfsite_name: Facts\r\nsite_dir: out\r\n")
    config = load_config(path)
    assert (config.site_name, config.site_dir) == ("Facts", tmp_path / "out")


def test_env_default_when_unset(tmp_path, monkeypatch):
    monkeypatch.delenv("SITEGEN_TEST_URL", raising=False)
    config = load_config(write(tmp_path, "site_name: F\nsite_url: !ENV [SITEGEN_TEST_URL, 'http://127.0.0.1:8000/']\n"))
    assert config.site_url == "http://127.0.0.1:8000/"


def test_env_set_variable_wins(tmp_path, monkeypatch):
    monkeypatch.setenv("SITEGEN_TEST_URL", "https://user.github.io/repo/")
    config = load_config(write(tmp_path, "site_name: F\nsite_url: !ENV [SITEGEN_TEST_URL, 'http://127.0.0.1:8000/']\n"))
    assert config.site_url == "https://user.github.io/repo/"


def test_env_first_set_variable_of_several(tmp_path, monkeypatch):
    monkeypatch.delenv("SITEGEN_TEST_A", raising=False)
    monkeypatch.setenv("SITEGEN_TEST_B", "from-b")
    config = load_config(write(tmp_path, "site_name: !ENV [SITEGEN_TEST_A, SITEGEN_TEST_B, fallback]\n"))
    assert config.site_name == "from-b"


def test_env_scalar_form_and_typed_value(tmp_path, monkeypatch):
    monkeypatch.setenv("SITEGEN_TEST_NAME", "Named by env")
    monkeypatch.setenv("SITEGEN_TEST_DRAFTS", "true")
    config = load_config(write(tmp_path, "site_name: !ENV SITEGEN_TEST_NAME\n"
                                         "plugins:\n  - sitegen:\n      drafts: !ENV SITEGEN_TEST_DRAFTS\n"))
    assert config.site_name == "Named by env"
    assert config.drafts is True


def test_env_value_is_one_scalar_not_a_document(tmp_path, monkeypatch):
    # As in MkDocs: the variable's text is a plain value even when it looks like YAML.
    monkeypatch.setenv("SITEGEN_TEST_NAME", "Facts: [draft")
    config = load_config(write(tmp_path, "site_name: !ENV SITEGEN_TEST_NAME\n"))
    assert config.site_name == "Facts: [draft"


def test_env_mapping_is_refused(tmp_path):
    assert config_error(tmp_path, "site_name: !ENV {a: b}\n") == (
        "mkdocs.yml:1:12: error: !ENV takes a variable name, or a list of names ending with a default value\n"
        "  hint: write: !ENV SITE_URL  or  !ENV [SITE_URL, 'http://127.0.0.1:8000/']")


def test_unknown_sitegen_option_with_did_you_mean_and_line(tmp_path):
    assert config_error(tmp_path, "site_name: F\nplugins:\n  - search\n  - sitegen:\n      search: true\n      draft: true\n") == (
        "mkdocs.yml:6:7: error: unknown sitegen option 'draft'\n  hint: did you mean 'drafts'?")


def test_unknown_sitegen_option_far_from_any_lists_them(tmp_path):
    assert config_error(tmp_path, "site_name: F\nplugins:\n  - sitegen:\n      colour: blue\n") == (
        "mkdocs.yml:4:7: error: unknown sitegen option 'colour'\n"
        "  hint: known options: allow_assets, cache_dir, cname, drafts, max_asset_size, max_file_size, search, strict")


def test_sitegen_options_as_a_mapping_of_plugins(tmp_path):
    config = load_config(write(tmp_path, "site_name: F\nplugins:\n  search: {}\n  sitegen:\n    drafts: true\n"))
    assert config.drafts is True


@pytest.mark.parametrize("option, value, expected", [
    ("search", '"no"', "mkdocs.yml:4:15: error: sitegen option 'search' must be true or false, not a string"),
    ("max_file_size", "true", "mkdocs.yml:4:22: error: sitegen option 'max_file_size' must be a whole number, not true or false"),
    ("cname", "[a]", "mkdocs.yml:4:14: error: sitegen option 'cname' must be a string, not a list"),
])
def test_wrong_option_type(tmp_path, option, value, expected):
    assert config_error(tmp_path, f"site_name: F\nplugins:\n  - sitegen:\n      {option}: {value}\n") == expected


def test_wrong_type_of_mkdocs_key(tmp_path):
    assert config_error(tmp_path, "site_name: F\nsite_url: [a]\n") == (
        "mkdocs.yml:2:11: error: 'site_url' must be a string, not a list")


def test_missing_site_name(tmp_path):
    assert config_error(tmp_path, "site_url: https://example.org/\n") == (
        "mkdocs.yml:1:1: error: 'site_name' is required\n  hint: add a line such as: site_name: My fact sheets")


def test_empty_site_name(tmp_path):
    assert config_error(tmp_path, "site_name:\n").startswith("mkdocs.yml:1:1: error: 'site_name' is required")


def test_use_directory_urls_false_is_refused(tmp_path):
    # Every internal link is built for name/ URLs; false would silently break them, so it is an error.
    assert config_error(tmp_path, "site_name: F\nuse_directory_urls: false\n") == (
        "mkdocs.yml:2:21: error: sitegen supports only 'use_directory_urls: true'\n"
        "  hint: remove the setting or set it to true")


def test_python_tag_is_refused(tmp_path):
    marker = tmp_path / "pwned"
    message = config_error(tmp_path, f"site_name: F\nextra: !!python/object/apply:os.system ['touch {marker}']\n")
    assert message == (
        "mkdocs.yml:2:8: error: unsupported YAML tag '!!python/object/apply:os.system'\n"
        "  hint: sitegen loads YAML safely: use plain strings, numbers, dates, lists and mappings")
    assert not marker.exists()


def test_duplicate_key_in_config(tmp_path):
    assert config_error(tmp_path, "site_name: F\nsite_dir: a\nsite_dir: b\n") == (
        "mkdocs.yml:3:1: error: duplicate key 'site_dir' (first defined on line 2)\n"
        "  hint: remove one of the two entries; YAML keeps only one of them")


def test_broken_yaml(tmp_path):
    assert config_error(tmp_path, "site_name: F\ntheme:\n  custom_dir: [templates\n") == (
        "mkdocs.yml:4:1: error: invalid YAML: did not find expected ',' or ']'\n"
        "  hint: the '[' opened on line 3, column 15 is never closed: close it, or put the whole value in quotes")


def test_not_a_mapping(tmp_path):
    assert config_error(tmp_path, "- site_name\n") == "mkdocs.yml:1:1: error: mkdocs.yml must be a mapping of settings"


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path / "nowhere.yml")
    assert info.value.exit_code == 2
    assert "configuration file not found" in info.value.format_message()


@pytest.mark.parametrize("dirs, line, message", [
    ("docs_dir: content\nsite_dir: content\n", 3,
     "'site_dir' is the docs_dir: each build replaces all of site_dir, so your content would be lost"),
    ("site_dir: docs/\n", 2,
     "'site_dir' is the docs_dir: each build replaces all of site_dir, so your content would be lost"),
    ("site_dir: .\n", 2,
     "'site_dir' is the folder of mkdocs.yml: each build replaces all of site_dir, so your project would be lost"),
    ("docs_dir: site/pages\n", 2,
     "'site_dir' contains the docs_dir: each build replaces all of site_dir, so your content would be lost"),
    ("site_dir: docs/out\n", 2,
     "'site_dir' lies inside the docs_dir: the built site would be read back as content"),
])
def test_site_dir_that_would_destroy_content(tmp_path, dirs, line, message):
    assert config_error(tmp_path, "site_name: F\n" + dirs) == (
        f"mkdocs.yml:{line}:11: error: {message}\n  hint: set site_dir to a folder of its own, such as: site_dir: site")


def test_theme_and_extension_shapes(tmp_path):
    assert config_error(tmp_path, "site_name: F\ntheme: [a]\n") == (
        "mkdocs.yml:2:8: error: 'theme' must be a mapping with 'name' and, for overrides, 'custom_dir'\n"
        "  hint: write: theme: {name: factsheet, custom_dir: overrides}")
    assert config_error(tmp_path, "site_name: F\ntheme:\n  name: material\n") == (
        "mkdocs.yml:3:9: error: unknown theme 'material'\n"
        "  hint: sitegen renders its own themes: factsheet; or set name: null and custom_dir to a folder "
        "holding every template")
    assert config_error(tmp_path, "site_name: F\ntheme: mkdocs\n") == (
        "mkdocs.yml:2:8: error: unknown theme 'mkdocs'\n"
        "  hint: sitegen renders its own themes: factsheet; or set name: null and custom_dir to a folder "
        "holding every template")
    assert config_error(tmp_path, "site_name: F\ntheme:\n  name: null\n") == (
        "mkdocs.yml:3:9: error: 'theme.name' is null, so 'theme.custom_dir' must name the folder of the templates\n"
        "  hint: write: name: factsheet to use sitegen's theme")
    assert config_error(tmp_path, "site_name: F\nmarkdown_extensions: tables\n") == (
        "mkdocs.yml:2:22: error: 'markdown_extensions' must be a list")
    assert config_error(tmp_path, "site_name: F\nmarkdown_extensions:\n  - [a]\n") == (
        "mkdocs.yml:3:5: error: each markdown extension is a name or a mapping of one name to its options")


@pytest.mark.parametrize("theme, name, custom", [
    ("theme: factsheet\n", "factsheet", None),                                  # MkDocs' short form
    ("theme:\n  name: factsheet\n  custom_dir: overrides\n", "factsheet", "overrides"),  # overrides on top
    ("theme:\n  custom_dir: overrides\n", "factsheet", "overrides"),            # no name: sitegen's theme
    ("theme:\n  name: null\n  custom_dir: own\n", None, "own"),                 # every template is the site's
])
def test_theme_name_and_custom_dir(tmp_path, theme, name, custom):
    config = load_config(write(tmp_path, "site_name: F\n" + theme))
    assert (config.theme_name, config.templates_dir) == (name, tmp_path / custom if custom else None)
    packaged = (REPO / "sitegen" / "themes" / "factsheet",) if name else ()
    assert config.theme_dirs == ((tmp_path / custom,) if custom else ()) + packaged


@pytest.mark.parametrize("settings, edit_uri, url", [
    # MkDocs derives edit_uri from a GitHub or GitLab repo_url, and adds the final '/'
    ("repo_url: https://github.com/o/r\n", "edit/master/docs/", "https://github.com/o/r/edit/master/docs/sheets/a.md"),
    ("repo_url: https://gitlab.com/o/r/\n", "edit/master/docs/", "https://gitlab.com/o/r/edit/master/docs/sheets/a.md"),
    ("repo_url: https://bitbucket.org/o/r\n", "src/default/docs/", "https://bitbucket.org/o/r/src/default/docs/sheets/a.md"),
    ("repo_url: https://github.com/o/r\nedit_uri: edit/main/content\n", "edit/main/content/",
     "https://github.com/o/r/edit/main/content/sheets/a.md"),
    ("repo_url: https://github.com/o/r\nedit_uri: ?path=/content/\n", "?path=/content/",
     "https://github.com/o/r?path=/content/sheets/a.md"),
    ("edit_uri: https://example.org/edit/\n", "https://example.org/edit/", "https://example.org/edit/sheets/a.md"),
    ("repo_url: https://git.example.org/o/r\n", "", ""),         # an unknown host: no link unless edit_uri is set
    ("repo_url: https://github.com/o/r\nedit_uri: ''\n", "", ""),  # an empty edit_uri turns the link off
])
def test_edit_uri_as_mkdocs_derives_it(tmp_path, settings, edit_uri, url):
    config = load_config(write(tmp_path, "site_name: F\n" + settings))
    assert (config.edit_uri, config.edit_url("sheets/a.md")) == (edit_uri, url)
    # ... and MkDocs reads the same file to the same link
    from mkdocs.config import load_config as mkdocs_load_config
    from mkdocs.structure.files import File
    from mkdocs.structure.pages import Page
    (tmp_path / "docs").mkdir()
    mkdocs_config = mkdocs_load_config(str(tmp_path / "mkdocs.yml"))
    page = Page(None, File("sheets/a.md", str(tmp_path / "docs"), str(tmp_path / "site"), True), mkdocs_config)
    assert (page.edit_url or "") == url


# --- the plugin options are SiteConfig's fields --------------------------------


@dataclasses.dataclass(frozen=True)
class _Extended(SiteConfig):
    colour: str = option("blue", str, "the site's colour")


def test_a_field_made_by_option_is_an_option_everywhere():
    from sitegen.read import yamlload
    from sitegen.config import _plugin_options
    from sitegen.mkdocs_plugin import options_class

    declared = options_of(_Extended)
    assert [o.name for o in declared] == [*PLUGIN_OPTIONS, "colour"]
    assert dict(options_class(declared)._schema)["colour"].default == "blue"
    assert "      colour: blue " in options_yaml(declared)
    data = yamlload.load("plugins:\n  - sitegen:\n      colour: red\n      drafts: true\n", "mkdocs.yml")

    def fail(mark, message, hint=None):
        raise AssertionError(f"{mark}: {message}")

    assert _plugin_options(data, fail, declared) == {"colour": "red", "drafts": True}
    with pytest.raises(AssertionError, match="unknown sitegen option 'colour'"):
        _plugin_options(data, fail)


def test_the_option_lists_are_one_list():
    from sitegen.mkdocs_plugin import SitegenOptions

    fields = [f.name for f in dataclasses.fields(SiteConfig) if f.metadata]
    assert [name for name, _ in SitegenOptions._schema] == fields == list(PLUGIN_OPTIONS)
    assert options_yaml() in (REPO / "README.md").read_text(encoding="utf-8")  # the README shows every option


def test_config_not_utf8_names_the_place(tmp_path):
    (tmp_path / "mkdocs.yml").write_bytes(b"\xef\xbb\xbfsite_name: Caf\xe9\n")
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path / "mkdocs.yml")
    assert info.value.diagnostic.format() == (
        "mkdocs.yml:1:15: error: configuration file is not valid UTF-8 (byte 0xe9 at offset 17)\n"
        "  hint: save mkdocs.yml as UTF-8")


def test_lone_carriage_returns_end_lines(tmp_path):
    (tmp_path / "mkdocs.yml").write_bytes(b"site_name: F\rsite_url: [a]\r")
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path / "mkdocs.yml")
    assert info.value.diagnostic.format() == "mkdocs.yml:2:11: error: 'site_url' must be a string, not a list"
