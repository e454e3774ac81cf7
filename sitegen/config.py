"""Read ``mkdocs.yml`` into a frozen, typed :class:`SiteConfig`.

MkDocs' own keys keep their MkDocs meaning; sitegen's settings live under
``plugins: - sitegen: {...}``. Keys that MkDocs knows but sitegen does not use
(``nav``, ``repo_name``...) are accepted and ignored, so the same file still
works with ``mkdocs``; an unknown *sitegen* option is an error that names it.
Defaults are MkDocs' own (``docs_dir: docs``, the ``edit_uri`` it derives from
``repo_url``), so a minimal file means the same to both.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urljoin, urlsplit

from .errors import ConfigError, ContentError, Diagnostic, did_you_mean, shown_path, utf8_problem
from . import hostname, themes
from .read import yamlload

DEFAULT_EXTENSIONS: tuple[tuple[str, dict], ...] = (
    ("tables", {}),
    ("footnotes", {}),
    ("toc", {}),
    ("sane_lists", {}),
)


_OPTION = "sitegen option"  # field metadata key: the type the option has in mkdocs.yml


@dataclass(frozen=True)
class Option:
    """One option of the sitegen plugin, as mkdocs.yml writes it (a list for a tuple, a string for a path)."""

    name: str
    type: type
    default: Any
    help: str
    check: Callable[[Any], tuple[str, str] | None] | None = None  # (message, hint) when a value of the type is refused


def option(default: Any, kind: type, help: str, check: Callable | None = None) -> Any:
    """A SiteConfig field that is also an option of ``plugins: - sitegen:`` (type as written in YAML)."""
    return field(default=default, metadata={_OPTION: kind, "help": help, "check": check})


def _one_host_name(value: str) -> tuple[str, str] | None:
    if value and hostname.problem(value):
        return (f"sitegen option 'cname' must be one host name: '{value}' {hostname.problem(value)}",
                "deploy writes it to the CNAME file GitHub Pages reads; write for example: cname: facts.example.org")
    return None


def _as_written(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else os.fspath(value) if isinstance(value, Path) else value


@dataclass(frozen=True)
class SiteConfig:
    """Everything a build depends on besides the files themselves."""

    root: Path                      # folder holding mkdocs.yml; relative paths start here
    config_path: Path               # the mkdocs.yml that was read
    site_name: str                  # shown in every page header and the feed title
    site_url: str = ""              # absolute URL of the published site; needed for sitemap and feed
    site_description: str = ""      # meta description of the home page and the feed subtitle
    site_author: str = ""           # feed and JSON-LD author when a sheet names none
    copyright: str = ""             # footer line
    repo_url: str = ""              # link to the repository in the footer
    edit_uri: str = ""              # appended to repo_url to make "edit this page" links
    docs_dir: Path = Path("docs")   # the content folder (absolute after loading); MkDocs' default
    site_dir: Path = Path("site")   # the output folder (absolute after loading)
    use_directory_urls: bool = True  # pages live at name/index.html and are linked as name/
    templates_dir: Path | None = None  # theme.custom_dir: templates and static files over the theme's
    theme_name: str | None = themes.DEFAULT  # theme.name: a packaged theme (sitegen/themes/<name>), or None
    locale: str = "en"              # theme.locale: the html lang attribute
    markdown_extensions: tuple[tuple[str, dict], ...] = DEFAULT_EXTENSIONS  # Python-Markdown extensions with their options
    extra: dict = field(default_factory=dict)  # free values passed to templates as `extra`
    # sitegen's own options (plugins: - sitegen: {...}): each field made by option() is one,
    # and the plugin's config_scheme, the checks below and the README's list derive from them.
    drafts: bool = option(False, bool, "include status: draft sheets")
    strict: bool = option(False, bool, "warnings are errors")
    search: bool = option(True, bool, "build the Pagefind index")
    max_file_size: int = option(2_000_000, int, "bytes; larger content files are refused")
    max_asset_size: int = option(50_000_000, int, "bytes; larger other files (images, PDFs) are refused")
    allow_assets: tuple[str, ...] = option((), list, "glob patterns of script-capable files content/ may publish")
    cname: str = option("", str, "custom domain written to CNAME on deploy: one host name, e.g. facts.example.org",
                        _one_host_name)
    cache_dir: Path = option(Path(".sitegen-cache"), str, "folder where builds remember their pages")  # absolute after loading

    def shown(self, path: Path) -> str:
        """A path as an editor knows it: relative to the project when inside it."""
        return shown_path(path, self.root)

    @property
    def theme_dirs(self) -> tuple[Path, ...]:
        """Where templates and static files are looked up, first match wins: custom_dir, then the theme."""
        dirs = [self.templates_dir] if self.templates_dir is not None else []
        if self.theme_name is not None:
            dirs.append(themes.folder(self.theme_name))
        return tuple(dirs)

    def edit_url(self, src: str) -> str:
        """The "edit this page" address of a file under docs_dir, as MkDocs makes it (or "")."""
        if not self.edit_uri:
            return ""
        repo = self.repo_url
        if repo and not self.edit_uri.startswith(("?", "#")) and not repo.endswith("/"):
            repo += "/"
        return urljoin(repo, self.edit_uri + src)

    def with_options(self, **changes: Any) -> "SiteConfig":
        return dataclasses.replace(self, **changes)


def options_of(config_class: type) -> tuple[Option, ...]:
    """The plugin options a configuration class declares: its fields made by option(), in order."""
    return tuple(Option(f.name, f.metadata[_OPTION], _as_written(f.default), f.metadata["help"], f.metadata["check"])
                 for f in dataclasses.fields(config_class) if _OPTION in f.metadata)


def options_yaml(options: tuple[Option, ...] | None = None) -> str:
    """The ``plugins: - sitegen:`` block with every option at its default, as the README shows it."""
    written = [(f"{o.name}: {_yaml_value(o.default)}", o.help) for o in options or OPTIONS]
    width = max(len(text) for text, _ in written) + 2
    lines = ["plugins:", "  - sitegen:", *(f"      {text.ljust(width)}# {help}" for text, help in written)]
    return "\n".join(lines) + "\n"


def _yaml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(f'"{v}"' for v in value) + "]"
    return f'"{value}"' if value == "" else str(value)


OPTIONS: tuple[Option, ...] = options_of(SiteConfig)
PLUGIN_OPTIONS: dict[str, type] = {o.name: o.type for o in OPTIONS}  # name -> the type mkdocs.yml holds


_STRING_KEYS = ("site_name", "site_url", "site_description", "site_author", "copyright", "repo_url", "edit_uri")


def load_config(config_path: Path | str = "mkdocs.yml") -> SiteConfig:
    """Read and check ``mkdocs.yml``; any problem is a ConfigError (exit code 2)."""
    path = Path(config_path).absolute()
    shown = path.name
    text = _read(path, str(config_path))
    try:
        data = yamlload.load(text, shown, env=True)
    except ContentError as exc:
        raise ConfigError(exc.diagnostics[0]) from None
    if not isinstance(data, yamlload.YMap):
        raise ConfigError(Diagnostic(shown, 1, 1, "mkdocs.yml must be a mapping of settings"))

    def fail(key_mark: tuple[int, int], message: str, hint: str | None = None):
        raise ConfigError(Diagnostic(shown, key_mark[0], key_mark[1], message, hint=hint))

    values: dict[str, Any] = {}
    for key in _STRING_KEYS:
        if key in data:
            value = data[key]
            if value is None:
                value = ""
            if not isinstance(value, str):
                fail(data.mark(key), f"'{key}' must be a string, not {_type_name(value)}")
            values[key] = value
    if not values.get("site_name"):
        fail(data.start, "'site_name' is required", "add a line such as: site_name: My fact sheets")
    if "use_directory_urls" in data and data["use_directory_urls"] is not True:
        fail(data.mark("use_directory_urls"), "sitegen supports only 'use_directory_urls: true'",
             "remove the setting or set it to true")

    root = path.parent
    for key in ("docs_dir", "site_dir"):
        if key in data:
            if not isinstance(data[key], str) or not data[key]:
                fail(data.mark(key), f"'{key}' must be a folder path")
            values[key] = (root / data[key]).resolve()
    values.setdefault("docs_dir", (root / "docs").resolve())
    values.setdefault("site_dir", (root / "site").resolve())
    _check_dirs(values["site_dir"], values["docs_dir"], root.resolve(),
                data.mark("site_dir") if "site_dir" in data else data.mark("docs_dir"), fail)

    name, custom, locale = _theme(data, fail)
    values["theme_name"] = name
    values["templates_dir"] = (root / custom).resolve() if custom is not None else None
    values["locale"] = locale
    values["edit_uri"] = _edit_uri(data.get("edit_uri"), values.get("repo_url", ""))
    if "markdown_extensions" in data:
        values["markdown_extensions"] = _extensions(data, fail)
    if "extra" in data:
        if not isinstance(data["extra"], dict):
            fail(data.mark("extra"), "'extra' must be a mapping")
        values["extra"] = _plain(data["extra"])
    values.update(_plugin_options(data, fail))
    values["cache_dir"] = (root / values.get("cache_dir", SiteConfig.cache_dir)).resolve()
    return SiteConfig(root=root, config_path=path, **values)


def _read(path: Path, written: str) -> str:
    """The file's text, without a BOM, with line ends as Python's text mode reads them."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(Diagnostic(written, 1, 1, "configuration file not found",
                                     hint="run sitegen in the folder that holds mkdocs.yml, pass --config-file, "
                                          "or start a new site here with: sitegen new site .")) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, col, message = utf8_problem(raw, exc)
        raise ConfigError(Diagnostic(path.name, line, col, "configuration " + message,
                                     hint="save mkdocs.yml as UTF-8")) from None
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def _check_dirs(site: Path, docs: Path, root: Path, mark: tuple[int, int], fail) -> None:
    """Each build replaces all of site_dir, so it may hold neither the content nor the project."""
    hint = "set site_dir to a folder of its own, such as: site_dir: site"
    if site == docs:
        fail(mark, "'site_dir' is the docs_dir: each build replaces all of site_dir, so your content would be lost", hint)
    if site == root:
        fail(mark, "'site_dir' is the folder of mkdocs.yml: each build replaces all of site_dir, so your project would be lost", hint)
    if site in docs.parents:
        fail(mark, "'site_dir' contains the docs_dir: each build replaces all of site_dir, so your content would be lost", hint)
    if docs in site.parents:
        fail(mark, "'site_dir' lies inside the docs_dir: the built site would be read back as content", hint)


def _theme(data, fail) -> tuple[str | None, str | None, str]:
    """theme.name, theme.custom_dir and theme.locale, by MkDocs' rules.

    No theme, or a mapping without a name, is sitegen's default theme (MkDocs
    itself refuses a mapping without a name, so such a file only builds here).
    ``name: null`` means custom_dir alone holds every template.
    """
    theme = data.get("theme")
    if theme is None:
        return themes.DEFAULT, None, "en"
    if isinstance(theme, str):
        name, theme = theme, yamlload.YMap.empty(data.mark("theme"))
        theme["name"] = name
    if not isinstance(theme, dict):
        fail(data.mark("theme"), "'theme' must be a mapping with 'name' and, for overrides, 'custom_dir'",
             f"write: theme: {{name: {themes.DEFAULT}, custom_dir: overrides}}")
    name = theme.get("name", themes.DEFAULT)
    if name is not None and name not in themes.names():
        fail(theme.mark("name"), f"unknown theme '{name}'",
             f"sitegen renders its own themes: {', '.join(themes.names())}; "
             "or set name: null and custom_dir to a folder holding every template")
    custom = theme.get("custom_dir")
    if custom is not None and (not isinstance(custom, str) or not custom):
        fail(theme.mark("custom_dir"), "'theme.custom_dir' must be a folder path")
    if name is None and custom is None:
        fail(theme.mark("name"), "'theme.name' is null, so 'theme.custom_dir' must name the folder of the templates",
             f"write: name: {themes.DEFAULT} to use sitegen's theme")
    locale = theme.get("locale", "en")
    if not isinstance(locale, str):
        fail(theme.mark("locale"), "'theme.locale' must be a language code such as en")
    return name, custom, locale


def _edit_uri(value: str | None, repo_url: str) -> str:
    """MkDocs' edit_uri: unset, it is derived from a GitHub, GitLab or Bitbucket repo_url;
    it always ends with '/'. (An empty string turns "edit this page" links off.)"""
    if value is None and repo_url:
        host = urlsplit(repo_url).netloc.lower()
        value = {"github.com": "edit/master/docs/", "gitlab.com": "edit/master/docs/",
                 "bitbucket.org": "src/default/docs/"}.get(host, "")
    value = value or ""
    return value + "/" if value and not value.endswith("/") else value


def _extensions(data, fail) -> tuple[tuple[str, dict], ...]:
    raw = data["markdown_extensions"]
    if not isinstance(raw, list):
        fail(data.mark("markdown_extensions"), "'markdown_extensions' must be a list")
    result = []
    for index, item in enumerate(raw):
        if isinstance(item, str):
            result.append((item, {}))
        elif isinstance(item, dict) and len(item) == 1:
            name, options = next(iter(item.items()))
            result.append((name, _plain(options or {})))
        else:
            fail(raw.mark(index), "each markdown extension is a name or a mapping of one name to its options")
    return tuple(result)


def _plugin_options(data, fail, declared: tuple[Option, ...] = ()) -> dict[str, Any]:
    """The values of the sitegen plugin's block, checked against the declared options (OPTIONS)."""
    known = {o.name: o for o in declared or OPTIONS}
    plugins = data.get("plugins")
    if plugins is None:
        return {}
    entries = plugins.items() if isinstance(plugins, dict) else None
    if entries is None:
        if not isinstance(plugins, list):
            fail(data.mark("plugins"), "'plugins' must be a list")
        entries = []
        for index, item in enumerate(plugins):
            if isinstance(item, str):
                entries.append((item, None))
            elif isinstance(item, dict) and len(item) == 1:
                entries.append(next(iter(item.items())))
            else:
                fail(plugins.mark(index), "each plugin is a name or a mapping of one name to its options")
    options = next((opts for name, opts in entries if name == "sitegen"), None)
    if not options:
        return {}
    if not isinstance(options, dict):
        fail(data.mark("plugins"), "the options of the sitegen plugin must be a mapping")
    result = {}
    for key, value in options.items():
        line_col = options.mark(key, of_value=False)
        if key not in known:
            fail(line_col, f"unknown sitegen option '{key}'",
                 did_you_mean(str(key), known) or f"known options: {', '.join(sorted(known))}")
        expected = known[key]
        if expected.type is list and isinstance(value, list):
            result[key] = _patterns(key, value, fail)
            continue
        if type(value) is not expected.type:
            fail(options.mark(key), f"sitegen option '{key}' must be {_type_name(expected.type())}, "
                                    f"not {_type_name(value)}",
                 f"write a list of glob patterns, such as {key}: [\"embeds/*.html\"]" if expected.type is list else None)
        problem = expected.check(value) if expected.check else None
        if problem:
            fail(options.mark(key), *problem)
        result[key] = value
    return result


def _patterns(key: str, value, fail) -> tuple[str, ...]:
    """A list option holds glob patterns of paths under docs_dir, such as 'embeds/*.html'."""
    for index, item in enumerate(value):
        if not isinstance(item, str) or not item.strip():
            fail(value.mark(index), f"each entry of sitegen option '{key}' must be a glob pattern, "
                                    f"not {_type_name(item)}", "write it in quotes, such as \"embeds/*.html\"")
    return tuple(value)


def _plain(value):
    """Strip position bookkeeping so values passed on are ordinary dicts and lists."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "true or false"
    if value is None:
        return "empty"
    for kind, name in ((int, "a whole number"), (float, "a number"), (str, "a string"),
                       (list, "a list"), (dict, "a mapping")):
        if isinstance(value, kind):
            return name
    return type(value).__name__
