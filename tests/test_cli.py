"""The command line, run as an editor or CI runs it: output, annotations and exit codes."""

from __future__ import annotations

import hashlib
import subprocess
import sys

import pytest

from conftest import REPO, sitegen_env

# The shipped copy of the crawled seed (../seeds/000_f5c579eb713ad8c1.txt), byte for byte.
SEED = REPO / "content" / "sources" / "xinhua-2024-12-20-fm-briefing.txt"
SEED_SHA256 = "9c644ed476120c71523fc1d99a0d17d251e8d00373c1d6c52806d0aa32f317f8"
SEED_ID = "xinhua-2024-12-20-china-continue-counternarcotics-cooperation"

STALE = "---\ntitle: Old\nsummary: S.\nas_of: 2024-01-01\nreview_by: 2024-06-30\n---\nText.\n"
BAD_QUOTE = ("---\ntitle: Bad\nsummary: S.\nas_of: 2024-01-01\nkey_facts:\n  - text: T\n    cite: gazette-pier\n"
             "    quote: \"a pier, two weeks early\"\n---\n")


def test_exit_0_when_all_is_well(tiny_site):
    site = tiny_site()
    result = site.run("check")
    assert (result.returncode, result.stdout) == (0, "")
    assert result.stderr == "checked 1 sheet and 2 sources: 0 errors, 0 warnings\n"
    built = site.run("build")
    assert built.returncode == 0
    assert built.stderr.startswith("built ") and built.stderr.endswith(" s; 0 errors, 0 warnings\n")


@pytest.mark.parametrize("files, code", [({}, 0), ({"content/sheets/bad.md": BAD_QUOTE}, 1)])
def test_the_quick_exit_runs_exit_handlers_flushes_output_and_keeps_the_code(tiny_site, files, code):
    """The console command skips the interpreter's teardown, not what an exit must do."""
    site = tiny_site(files)
    program = ("import atexit, sys\n"
               "atexit.register(lambda: print('handler ran', file=sys.stderr))\n"
               "sys.stdout.write('x' * 200000)\n"
               "sys.stdout.write('end')\n"  # a short write stays in the buffer until it is flushed
               "sys.argv = ['sitegen', 'check']\n"
               "from sitegen.cli import run\n"
               "run()\n")
    done = subprocess.run([sys.executable, "-c", program], cwd=site.root, env=sitegen_env(PYTHONUNBUFFERED=None),
                          capture_output=True, text=True, timeout=120)
    assert (done.returncode, done.stdout) == (code, "x" * 200000 + "end")
    assert done.stderr.endswith(("0 errors" if code == 0 else "1 error") + ", 0 warnings\nhandler ran\n")


def test_exit_1_on_content_errors(tiny_site):
    site = tiny_site({"content/sheets/bad.md": BAD_QUOTE})
    result = site.run("check")
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == (
        "content/sheets/bad.md:8:12: error: quote not found in source 'gazette-pier' (content/sources/gazette-pier.txt)\n"
        "  hint: the closest passage (62% similar) is: \"on Friday, two weeks late\"\n"
        "1 error, 0 warnings\n")
    assert site.run("build").returncode == 1


@pytest.mark.parametrize("args, config, message", [
    (("check", "--format", "xml"), None, "Invalid value for '--format'"),
    (("build", "--no-such-flag"), None, "No such option '--no-such-flag'"),
    (("check",), "site_name: T\nplugins:\n  - sitegen:\n      serch: true\n",
     "mkdocs.yml:4:7: error: unknown sitegen option 'serch'\n  hint: did you mean 'search'?\n"),
    (("check", "-f", "elsewhere.yml"), None, "elsewhere.yml:1:1: error: configuration file not found\n"),
])
def test_exit_2_on_usage_and_configuration_errors(tiny_site, args, config, message):
    site = tiny_site(config=config)
    result = site.run(*args)
    assert result.returncode == 2
    assert message in result.stderr


def test_github_annotations_for_errors(tiny_site):
    site = tiny_site({"content/sheets/bad.md": BAD_QUOTE, "content/sheets/old.md": STALE})
    result = site.run("check", "--format", "github")
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        "::error file=content/sheets/bad.md,line=8,col=12::quote not found in source 'gazette-pier' "
        "(content/sources/gazette-pier.txt) (hint: the closest passage (62%25 similar) is: \"on Friday, two weeks late\")",
        "::warning file=content/sheets/old.md,line=5,col=12::sheet is past its review date (2024-06-30) "
        "(hint: check its facts against newer sources, then move review_by forward)",
    ]
    assert result.stderr == "1 error, 1 warning\n"


def test_github_annotations_for_warnings_alone(tiny_site):
    site = tiny_site({"content/sheets/old.md": STALE})
    result = site.run("check", "--format", "github")
    assert result.returncode == 0
    assert result.stdout == (
        "::warning file=content/sheets/old.md,line=5,col=12::sheet is past its review date (2024-06-30) "
        "(hint: check its facts against newer sources, then move review_by forward)\n")
    assert result.stderr == "checked 2 sheets and 2 sources: 0 errors, 1 warning\n"


def test_github_annotation_escapes_properties():
    from sitegen.errors import Diagnostic
    d = Diagnostic("content/a,b:c.md", 3, 4, "50% done\nnext line")
    assert d.format_github() == "::error file=content/a%2Cb%3Ac.md,line=3,col=4::50%25 done%0Anext line"


def test_strict_turns_a_warning_into_exit_1(tiny_site):
    site = tiny_site({"content/sheets/old.md": STALE})
    relaxed = site.run("check")
    assert relaxed.returncode == 0
    assert relaxed.stderr == (
        "content/sheets/old.md:5:12: warning: sheet is past its review date (2024-06-30)\n"
        "  hint: check its facts against newer sources, then move review_by forward\n"
        "checked 2 sheets and 2 sources: 0 errors, 1 warning\n")
    for command in ("check", "build"):
        strict = site.run(command, "--strict")
        assert strict.returncode == 1
        assert strict.stderr == (
            "content/sheets/old.md:5:12: error: sheet is past its review date (2024-06-30)\n"
            "  hint: check its facts against newer sources, then move review_by forward\n"
            "1 error, 0 warnings\n")
    assert not site.site_dir.exists()


def test_drafts_flag(tiny_site):
    site = tiny_site({"content/sheets/wip.md": "---\ntitle: W\nsummary: S\nas_of: 2024-01-01\nstatus: draft\n---\n[@nowhere]\n"})
    assert site.run("check").returncode == 0
    result = site.run("check", "--drafts")
    assert result.returncode == 1
    assert "content/sheets/wip.md:7:1: error: unknown source 'nowhere'" in result.stderr


def test_import_the_seed_into_a_tiny_site(tiny_site):
    assert hashlib.sha256(SEED.read_bytes()).hexdigest() == SEED_SHA256
    site = tiny_site()
    incoming = site.root / "incoming" / "000_f5c579eb713ad8c1.txt"
    incoming.parent.mkdir()
    incoming.write_bytes(SEED.read_bytes())
    result = site.run("import", str(incoming))
    assert result.returncode == 0, result.stderr
    assert result.stderr == (
        f"imported {SEED_ID}: content/sources/{SEED_ID}.txt and {SEED_ID}.yml; "
        f"check its .yml, then cite it as [@{SEED_ID}]\n")
    stored = site.content / "sources" / f"{SEED_ID}.txt"
    assert stored.read_bytes() == SEED.read_bytes()
    assert f"sha256: {SEED_SHA256}" in (site.content / "sources" / f"{SEED_ID}.yml").read_text()
    # the imported source can be quoted at once
    site.write({"content/sheets/pier.md": (
        "---\ntitle: Cooperation\nsummary: S.\nas_of: 2024-12-20\nkey_facts:\n  - text: T\n"
        f"    cite: {SEED_ID}\n    quote: \"scheduled over 50 controlled substances\"\n---\n")})
    checked = site.run("check")
    assert checked.returncode == 0, checked.stderr
    assert checked.stderr == "checked 1 sheet and 3 sources: 0 errors, 0 warnings\n"
    # importing the same text again never overwrites: it is found as already imported (issue 11)
    again = site.run("import", str(incoming))
    assert (again.returncode, again.stderr) == (0, f"already imported as {SEED_ID}: content/sources/{SEED_ID}.txt "
                                                   "holds these very bytes; nothing was written\n")
    assert stored.read_bytes() == SEED.read_bytes()


def test_import_with_id_of_several_files_is_a_usage_error(tiny_site):
    site = tiny_site()
    a, b = site.root / "a.txt", site.root / "b.txt"
    a.write_bytes(SEED.read_bytes())
    b.write_bytes(SEED.read_bytes())
    result = site.run("import", "--id", "one", str(a), str(b))
    assert (result.returncode, result.stderr) == (2, "--id names one source: import one file at a time when you set it\n")


def test_version_and_help(tiny_site):
    site = tiny_site()
    assert site.run("--version").stdout.startswith("sitegen, version ")
    help_text = site.run("--help").stdout
    for command in ("build", "check", "new", "import"):
        assert command in help_text


# --- check --format json, and sitegen list ----------------------------------------------

def test_json_format_for_tools(tiny_site):
    import json
    site = tiny_site({"content/sheets/old.md": STALE})
    result = site.run("check", "--format", "json")
    assert result.returncode == 0
    assert json.loads(result.stdout) == {"version": 1, "errors": 0, "warnings": 1, "sheets": 2, "sources": 2, "diagnostics": [
        {"path": "content/sheets/old.md", "line": 5, "col": 12, "severity": "warning",
         "message": "sheet is past its review date (2024-06-30)",
         "hint": "check its facts against newer sources, then move review_by forward"}]}
    assert result.stderr == "checked 2 sheets and 2 sources: 0 errors, 1 warning\n"
    site.write({"content/sheets/bad.md": BAD_QUOTE})
    failed = site.run("check", "--format", "json")
    assert failed.returncode == 1 and failed.stderr == "1 error, 1 warning\n"
    report = json.loads(failed.stdout)
    assert (report["errors"], report["warnings"]) == (1, 1)
    assert report["diagnostics"][0] == {
        "path": "content/sheets/bad.md", "line": 8, "col": 12, "severity": "error",
        "message": "quote not found in source 'gazette-pier' (content/sources/gazette-pier.txt)",
        "hint": "the closest passage (62% similar) is: \"on Friday, two weeks late\""}
    broken = tiny_site(config="site_name: T\nplugins:\n  - sitegen:\n      serch: true\n").run("check", "--format", "json")
    assert broken.returncode == 2
    assert json.loads(broken.stdout)["diagnostics"] == [
        {"path": "mkdocs.yml", "line": 4, "col": 7, "severity": "error", "message": "unknown sitegen option 'serch'",
         "hint": "did you mean 'search'?"}]


def test_list_stale_drafts_and_unused_sources(tiny_site):
    site = tiny_site({
        "content/sheets/old.md": STALE,
        "content/sheets/older.md": STALE.replace("Old", "Older").replace("2024-06-30", "2024-03-31"),
        "content/sheets/wip.md": "---\ntitle: Work in progress\nsummary: S\nas_of: 2024-02-01\nstatus: draft\n"
                                 "---\n[@leaflet]\n",
        "content/sources/leaflet.yml": "title: A leaflet\npublisher: Council\npublished: 2023\nrights: metadata-only\n",
    })
    stale = site.run("list", "stale")
    assert (stale.returncode, stale.stdout, stale.stderr) == (0, (
        "content/sheets/older.md\t2024-03-31\tOlder\n"
        "content/sheets/old.md\t2024-06-30\tOld\n"), "2 stale sheets\n")
    drafts = site.run("list", "drafts")
    assert (drafts.returncode, drafts.stdout, drafts.stderr) == (
        0, "content/sheets/wip.md\t2024-02-01\tWork in progress\n", "1 draft\n")
    unused = site.run("list", "sources", "--unused")
    assert (unused.returncode, unused.stdout, unused.stderr) == (
        0, "content/sources/leaflet.yml\t2023\t0\tA leaflet\n", "1 unused source\n")
    # a source cited only by a draft is in use once drafts count
    assert site.run("list", "sources", "--unused", "--drafts").stdout == ""
    everything = site.run("list", "sources")
    assert everything.stdout.splitlines() == [
        "content/sources/council-minutes.yml\t2024-04\t1\tCouncil minutes",
        "content/sources/gazette-pier.yml\t2024-05-03\t1\tNew pier opens",
        "content/sources/leaflet.yml\t2023\t0\tA leaflet"]


# --- a terminal that talks -------------------------------------------------------------

def run_on_terminal(site, *args: str) -> str:
    """Run sitegen with its stderr on a pseudo-terminal, as in a person's shell; return what it showed."""
    import os
    import pty
    import subprocess
    import sys
    from conftest import sitegen_env
    leader, follower = pty.openpty()
    try:
        proc = subprocess.run([sys.executable, "-m", "sitegen", *args], cwd=site.root, env=sitegen_env(),
                              stdout=subprocess.DEVNULL, stderr=follower, timeout=300)
        os.close(follower)
        follower = -1
        chunks = []
        while True:
            try:
                data = os.read(leader, 65536)
            except OSError:  # EIO: the other end is closed and everything was read
                break
            if not data:
                break
            chunks.append(data)
        assert proc.returncode == 0
        return b"".join(chunks).decode().replace("\r\n", "\n")
    finally:
        os.close(leader)
        if follower != -1:
            os.close(follower)


def test_a_start_line_on_a_terminal_only(tiny_site):
    site = tiny_site()
    shown = run_on_terminal(site, "build")
    assert shown.startswith("building 'Tiny Facts' from content/ into site/ ...\nbuilt ")
    piped = site.run("build", "--no-cache")
    assert piped.stderr.startswith("built ")  # piped or in CI: no start line


def test_nothing_changed_quiet_and_verbose(tiny_site):
    site = tiny_site()
    assert site.run("build").stderr.startswith("built ")
    again = site.run("build")
    assert again.returncode == 0
    assert again.stderr.startswith("nothing changed: the site is up to date (")
    assert again.stderr.endswith(" s); 0 errors, 0 warnings\n")
    assert site.run("-q", "build", "--no-cache").stderr == ""
    assert site.run("-q", "check").stderr == ""
    site.write({"content/sheets/old.md": STALE})
    quiet = site.run("-q", "check")  # problems are still printed
    assert quiet.stderr == ("content/sheets/old.md:5:12: warning: sheet is past its review date (2024-06-30)\n"
                            "  hint: check its facts against newer sources, then move review_by forward\n")
    verbose = site.run("-v", "build").stderr.splitlines()
    assert verbose[2].startswith("built ") and [line.split()[0] for line in verbose[3:]][:2] == ["fingerprint", "load"]


def test_shell_completion_as_the_readme_documents_it(tiny_site):
    """The installed `sitegen` command (Click names the variable after it) completes commands."""
    import subprocess
    import sys
    from pathlib import Path
    from conftest import sitegen_env
    command = str(Path(sys.executable).with_name("sitegen"))
    site = tiny_site()
    script = subprocess.run([command], cwd=site.root, env=sitegen_env(_SITEGEN_COMPLETE="bash_source"),
                            capture_output=True, text=True)
    assert script.returncode == 0 and "_sitegen_completion()" in script.stdout
    env = sitegen_env(_SITEGEN_COMPLETE="bash_complete", COMP_WORDS="sitegen new s", COMP_CWORD="2")
    words = subprocess.run([command], cwd=site.root, env=env, capture_output=True, text=True)
    assert words.stdout.split() == ["plain,sheet", "plain,site"]
