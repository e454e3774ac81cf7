"""The ``sitegen`` command: a thin layer over the pipeline.

Commands parse options, call one function, and print what it returns or the
message of the SitegenError it raised; the exit code comes from the error
(0 ok, 1 content errors, 2 usage or configuration errors).
"""

from __future__ import annotations

import atexit
import json
import os
import sys
import threading
from pathlib import Path

import click

from . import __version__
from .errors import ConfigError, Diagnostic, SitegenError, UsageError, summary_line


def _load(config_file: str, **options):
    from .config import load_config
    config = load_config(config_file)
    changes = {k: v for k, v in options.items() if v}
    return config.with_options(**changes) if changes else config


_VERBOSITY = {"level": 0}  # -q: -1 (problems only), -v: 1 (where the time went); set by main()


def _say(text: str) -> None:
    """A progress or summary line on stderr, unless -q asked for problems only."""
    if _VERBOSITY["level"] >= 0:
        click.echo(text, err=True)


def _on_terminal() -> bool:
    return sys.stderr.isatty()


def _print_warnings(warnings, fmt: str = "text") -> None:
    # Annotations go to stdout, as the errors' do in _run; plain messages to stderr.
    for warning in warnings:
        if fmt == "github":
            click.echo(warning.format_github())
        else:
            click.echo(warning.format(), err=True)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _print_json(diagnostics: list[Diagnostic], **counts: int) -> None:
    """`check --format json`: one JSON object on stdout, whatever the outcome."""
    errors = sum(d.severity == "error" for d in diagnostics)
    click.echo(json.dumps({"version": 1, "errors": errors, "warnings": len(diagnostics) - errors, **counts,
                           "diagnostics": [d.as_json() for d in diagnostics]}, ensure_ascii=False, indent=1))


def _run(action, fmt: str = "text") -> None:
    try:
        action()
    except SitegenError as exc:
        diagnostics = [exc.diagnostic] if isinstance(exc, ConfigError) else getattr(exc, "diagnostics", None)
        if diagnostics is not None and fmt == "json":
            _print_json(diagnostics)
            click.echo(exc.format_message().splitlines()[-1] if not isinstance(exc, ConfigError)
                       else summary_line(1, 0), err=True)
        elif getattr(exc, "diagnostics", None) is not None and fmt == "github":
            for diagnostic in exc.diagnostics:
                click.echo(diagnostic.format_github())
            click.echo(exc.format_message().splitlines()[-1], err=True)
        else:
            click.echo(exc.format_message(), err=True)
        sys.exit(exc.exit_code)


config_option = click.option("-f", "--config-file", default="mkdocs.yml", show_default=True,
                             type=click.Path(dir_okay=False), help="The site's mkdocs.yml.")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="sitegen")
@click.option("-q", "--quiet", is_flag=True, help="Print only errors and warnings.")
@click.option("-v", "--verbose", is_flag=True, help="Also print where the time went, by stage.")
def main(quiet: bool, verbose: bool) -> None:
    """Build cited fact-sheet sites from Markdown and stored sources.

    Start one with: sitegen new site mysite. Shell completion: see the README."""
    _VERBOSITY["level"] = -1 if quiet else 1 if verbose else 0


@main.command()
@config_option
@click.option("--drafts", is_flag=True, help="Include sheets with status: draft.")
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@click.option("--timings", is_flag=True, help="Print where the time went, by stage.")
@click.option("--no-cache", is_flag=True, help="Render every page again, ignoring the build cache.")
def build(config_file: str, drafts: bool, strict: bool, timings: bool, no_cache: bool) -> None:
    """Check the content and build the site into site_dir, atomically."""
    def action():
        from .build import build as run_build
        config = _load(config_file, drafts=drafts, strict=strict)
        if _on_terminal():  # a person is watching: say what is happening before the work starts
            _say(f"building {config.site_name!r} from {config.shown(config.docs_dir)}/ into "
                 f"{config.shown(config.site_dir)}/ ...")
        result = run_build(config, use_cache=not no_cache)
        _print_warnings(result.warnings)
        total = sum(result.timings.values())
        if result.up_to_date:
            _say(f"nothing changed: the site is up to date ({total:.2f} s); {summary_line(0, len(result.warnings))}")
        else:
            _say(f"built {result.pages} pages ({result.rendered} rendered, {result.files} files) in "
                 f"{total:.2f} s; {summary_line(0, len(result.warnings))}")
        if timings or _VERBOSITY["level"] > 0:
            for stage, seconds in result.timings.items():
                click.echo(f"  {stage:<12} {seconds * 1000:8.1f} ms", err=True)
            for counter, count in result.stats.items():
                click.echo(f"  {counter:<12} {count:8d}", err=True)
    _run(action)


@main.command()
@config_option
@click.option("--drafts", is_flag=True, help="Check drafts too.")
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@click.option("--format", "fmt", type=click.Choice(["text", "github", "json"]), default="text", show_default=True,
              help="github prints GitHub Actions annotations; json one object with every diagnostic, for tools.")
def check(config_file: str, drafts: bool, strict: bool, fmt: str) -> None:
    """Check every sheet, source and citation without writing anything."""
    def action():
        from .build import check as run_check
        result = run_check(_load(config_file, drafts=drafts, strict=strict))
        site = result.site
        if fmt == "json":
            _print_json(result.warnings, sheets=len(site.sheets), sources=len(site.content.sources))
        else:
            _print_warnings(result.warnings, fmt)
        _say(f"checked {_plural(len(site.sheets), 'sheet')} and {_plural(len(site.content.sources), 'source')}: "
             f"{summary_line(0, len(result.warnings))}")
    _run(action, fmt)


@main.group()
def new() -> None:
    """Create new content from a scaffold."""


@new.command("sheet")
@config_option
@click.argument("title")
@click.option("--id", "sheet_id", help="The sheet id (file name); derived from the title by default.")
def new_sheet(config_file: str, title: str, sheet_id: str | None) -> None:
    """Write content/sheets/<id>.md, a valid sheet with the next steps in comments."""
    def action():
        from .scaffold import new_sheet as make
        config = _load(config_file)
        path = make(config, title, sheet_id)
        click.echo(f"created {config.shown(path)}; next: fill in its facts, "
                   f"then run 'sitegen check'", err=True)
    _run(action)


@new.command("site")
@click.argument("folder", type=click.Path(file_okay=True, dir_okay=True, path_type=Path))
def new_site(folder: Path) -> None:
    """Write a complete, buildable site into FOLDER (new, or empty; '.' for here)."""
    def action():
        from .scaffold import new_site as make
        written = make(folder.absolute(), str(folder))
        go = "" if folder == Path(".") else f"cd {folder} && "
        click.echo(f"created a new site in {folder} ({_plural(len(written), 'file')}); "
                   f"next: {go}sitegen serve", err=True)
    _run(action)


@main.group("list")
def list_() -> None:
    """List sheets or sources of the checked site, one per line, tab-separated."""


def _list(config_file: str, query, what: str, drafts: bool = False) -> None:
    def action():
        from .build import check as run_check
        config = _load(config_file)
        site = run_check(config.with_options(drafts=True) if drafts else config).site
        rows = query(site)
        for row in rows:
            click.echo("\t".join(row))
        _say(_plural(len(rows), what))
    _run(action)


@list_.command("stale")
@config_option
@click.option("--drafts", is_flag=True, help="Check with drafts included (their citations count).")
def list_stale(config_file: str, drafts: bool) -> None:
    """Published sheets past their review_by date: path, review_by, title (most overdue first)."""
    from .listing import stale_sheets
    _list(config_file, stale_sheets, "stale sheet", drafts)


@list_.command("drafts")
@config_option
def list_drafts(config_file: str) -> None:
    """Sheets with status: draft: path, as_of, title."""
    from .listing import draft_sheets
    _list(config_file, draft_sheets, "draft", drafts=True)


@list_.command("sources")
@config_option
@click.option("--unused", is_flag=True, help="Only the sources that no sheet cites.")
@click.option("--drafts", is_flag=True, help="Count citations in drafts too.")
def list_sources(config_file: str, unused: bool, drafts: bool) -> None:
    """Sources: path, published, number of sheets citing it, title."""
    from .listing import sources
    _list(config_file, lambda site: sources(site, unused), "unused source" if unused else "source", drafts)


@main.command()
@click.argument("name", required=False, type=click.Choice(["sheet", "source", "topics", "entities"]))
@click.option("--write", "folder", type=click.Path(file_okay=False, path_type=Path),
              help="Write each schema to FOLDER/<name>.schema.json instead of printing.")
def schema(name: str | None, folder: Path | None) -> None:
    """Print the JSON Schema of a sheet's front matter, a source, topics.yml or entities.yml."""
    def action():
        from .editor_schema import NAMES, schema_text, schemas
        if folder is not None:
            folder.mkdir(parents=True, exist_ok=True)
            for each in ([name] if name else NAMES):
                (folder / f"{each}.schema.json").write_text(schema_text(each), encoding="utf-8")
            click.echo(f"wrote {_plural(1 if name else len(NAMES), 'schema')} to {folder}", err=True)
        elif name:
            click.echo(schema_text(name), nl=False)
        else:
            click.echo(json.dumps(schemas(), indent=2, ensure_ascii=False))
    _run(action)


@main.command("import")
@config_option
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--id", "source_id", help="The source id (only with one file).")
@click.option("--kind", default="news", show_default=True, help="Source kind: news, statement, readout, ...")
@click.option("--language", default="en", show_default=True, help="BCP 47 language tag of the text.")
def import_(config_file: str, files: tuple[Path, ...], source_id: str | None, kind: str, language: str) -> None:
    """Store crawled news texts as sources: <id>.txt byte for byte, and a pre-filled <id>.yml."""
    def action():
        from .importer import import_file
        if source_id and len(files) > 1:
            raise UsageError("--id names one source: import one file at a time when you set it")
        config = _load(config_file)
        for path in files:
            imported = import_file(path, config.docs_dir / "sources", source_id=source_id, kind=kind,
                                   language=language, display_root=config.root, max_file_size=config.max_file_size)
            if imported.already:
                click.echo(f"already imported as {imported.id}: {config.shown(imported.txt_path)} holds "
                           "these very bytes; nothing was written", err=True)
                continue
            for note in imported.notes:
                click.echo(f"note: {note}", err=True)
            click.echo(f"imported {imported.id}: {config.shown(imported.txt_path)} "
                       f"and {imported.yml_path.name}; check its .yml, then cite it as [@{imported.id}]", err=True)
    _run(action)


@main.command()
@config_option
@click.option("-a", "--dev-addr", default="127.0.0.1:8000", show_default=True, metavar="HOST:PORT",
              help="Where to serve; keep 127.0.0.1 unless other machines must see the preview.")
@click.option("--drafts", is_flag=True, help="Include sheets with status: draft.")
@click.option("-o", "--open", "open_browser", is_flag=True, help="Open the preview in a browser.")
@click.option("--poll", is_flag=True,
              help="Look for saves every 0.2 s instead of asking the system (for folders mounted from elsewhere).")
def serve(config_file: str, dev_addr: str, drafts: bool, open_browser: bool, poll: bool) -> None:
    """Preview the site, rebuilding and reloading the page on every save."""
    def action():
        from .serve import serve as run_serve
        run_serve(config_file, dev_addr=dev_addr, drafts=drafts, open_browser=open_browser, poll=poll)
    _run(action)


@main.command()
@config_option
@click.option("--remote", default="origin", show_default=True, help="The git remote to publish to.")
@click.option("--branch", default="gh-pages", show_default=True, help="The branch GitHub Pages serves.")
@click.option("--create", is_flag=True,
              help="Create a branch other than gh-pages on the remote if it does not exist (gh-pages is created anyway).")
@click.option("--push/--no-push", default=True, show_default=True,
              help="Push the new commit; --no-push only commits to the local branch.")
@click.option("-m", "--message", help="Text after 'Deploy <sha> of <branch>: ' (default: the commit's subject).")
def deploy(config_file: str, remote: str, branch: str, create: bool, push: bool, message: str | None) -> None:
    """Build a clean commit and publish it to the gh-pages branch."""
    def action():
        from .deploy import deploy as run_deploy
        result = run_deploy(_load(config_file), remote=remote, branch=branch, create=create,
                            push=push, message=message)
        _print_warnings(result.warnings)
        for note in result.notes:
            click.echo(f"note: {note}", err=True)
        where = f"{result.remote}/{result.branch}" if result.pushed else f"the local branch {result.branch} (not pushed)"
        click.echo(f"deployed {result.source} to {where} as {result.commit}: {result.files} files", err=True)
    _run(action)


def run() -> None:
    """The console command: :func:`main`, then an exit without the interpreter's teardown, which
    frees a build's objects one by one (0.13 s of a 1 s one-sheet edit at 1,000 sheets). What an
    exit must do still happens: exit handlers run and output is flushed; while another thread is
    still running, the usual exit waits for it."""
    try:
        main()
        code = 0
    except SystemExit as done:
        code = done.code
    others = any(t.is_alive() and not t.daemon for t in threading.enumerate() if t is not threading.main_thread())
    if others or type(code) is not int:  # a thread to wait for, or a code only sys.exit knows how to show
        sys.exit(code)
    atexit._run_exitfuncs()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        code = code or 1
    os._exit(code)
