"""Time sitegen against stock MkDocs and Hugo on generated corpora.

``python bench/run.py`` builds (or reuses) ``bench/corpus/n100`` and
``n1000`` with ``gen_corpus.py`` and times, as separate processes:

- sitegen cold   ``python -m sitegen build`` after removing site/ and .sitegen-cache
- sitegen warm   the same command again with nothing changed
- sitegen edit   after changing one word in one sheet's body
- sitegen+search cold, with the Pagefind index (``mkdocs-search.yml``)
- mkdocs         ``python -m mkdocs build -q`` with theme mkdocs (cold)
- hugo           ``hugo --quiet`` with a minimal layout (cold), when installed

Each measurement is repeated (5 runs up to 1,000 sheets, 3 above) and reported
as median and minimum wall time, median CPU time (user+sys, the process and
its children) and peak RSS (the largest resident set of the process or of any
child it waited for, from ``wait4``, the call GNU time uses for ``%M``), plus
the summed RSS of the whole process group sampled every 50 ms, since sitegen
renders in forked workers. Results go to stdout as Markdown and to ``bench/out/`` as JSON and Markdown.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gen_corpus  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
MANY = 1000                     # above this: --big-runs runs instead of --runs
BIG = 5000                      # above this: MkDocs and sitegen+search only when asked, no warm-up runs
MODES = ("startup", "cold", "warm", "edit", "serve-edit")
EDIT_WORDS = ("Meanwhile,", None)  # the edited word alternates with the original one

# Targets of the Performance issue.
TARGETS = {  # issue #14's, and the earlier ones still held
    "cold_vs_mkdocs_1000": 0.25,  # sitegen cold at 1,000 <= 0.25 x MkDocs
    "cold_vs_hugo_1000": 3.0,     # sitegen cold at 1,000, no search, <= 3 x Hugo
    "warm_1000_s": 0.5,
    "edit_1000_s": 0.3,           # a one-sheet edit, a new process, no search
    "edit_search_1000_s": 0.6,    # the same with search
    "edit_10000_s": 1.5,
    "serve_reload_10000_s": 1.0,  # save to reloaded page in `serve` (bench/serve_browser.py)
    "scale_10000_over_1000": 11.0,
    "rss_10000_mb": 600.0,
}


@dataclass
class Run:
    wall: float
    cpu: float
    rss_kb: int                 # largest single process (wait4 ru_maxrss, as GNU time %M)
    returncode: int
    stages: dict[str, float] = field(default_factory=dict)
    tree_kb: int = 0            # largest sum over the process group, sampled every 50 ms


def group_rss_kb(pgid: int) -> int:
    """Resident memory of every process in the group ``pgid``, summed (Linux /proc)."""
    total = 0
    page_kb = os.sysconf("SC_PAGE_SIZE") // 1024
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
            fields = stat[stat.rindex(")") + 2:].split()
            if int(fields[2]) == pgid:          # field 5 of stat: the process group
                total += int(fields[21]) * page_kb  # field 24: rss in pages
        except (OSError, ValueError, IndexError):
            continue
    return total


class TreeSampler(threading.Thread):
    def __init__(self, pgid: int):
        super().__init__(daemon=True)
        self.pgid, self.peak, self.done = pgid, 0, threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.05):
            self.peak = max(self.peak, group_rss_kb(self.pgid))


@dataclass
class Measure:
    n: int
    tool: str
    mode: str
    command: str
    runs: list[Run] = field(default_factory=list)
    status: str = "ok"          # ok | timed out | failed | not installed | skipped
    detail: str = ""
    load: float | None = None   # 1-minute load average when the measurement started

    def walls(self) -> list[float]:
        return [r.wall for r in self.runs]

    @property
    def median(self) -> float | None:
        return statistics.median(self.walls()) if self.runs and self.status == "ok" else None

    @property
    def minimum(self) -> float | None:
        return min(self.walls()) if self.runs and self.status == "ok" else None

    @property
    def cpu(self) -> float | None:
        return statistics.median(r.cpu for r in self.runs) if self.runs and self.status == "ok" else None

    @property
    def rss_mb(self) -> float | None:
        return max(r.rss_kb for r in self.runs) / 1024 if self.runs and self.status == "ok" else None

    @property
    def tree_mb(self) -> float | None:
        return max(r.tree_kb for r in self.runs) / 1024 if self.runs and self.status == "ok" else None


def timed(command: list[str], cwd: Path, timeout: float | None) -> tuple[Run, str]:
    """Run one command in its own process group; wall time, CPU time and peak RSS from wait4."""
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # time what users get: imports from cached bytecode
    start = time.perf_counter()
    proc = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)
    killed = threading.Event()

    def kill() -> None:
        killed.set()
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # only the group this script started
        except ProcessLookupError:
            pass

    timer = threading.Timer(timeout, kill) if timeout else None
    if timer:
        timer.start()
    sampler = TreeSampler(proc.pid)
    sampler.start()
    err = proc.stderr.read().decode("utf-8", "replace")
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    sampler.done.set()
    sampler.join()
    if timer:
        timer.cancel()
    proc.returncode = os.waitstatus_to_exitcode(status)
    code = -9 if killed.is_set() else proc.returncode
    run = Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss, code, _stages(err),
              max(sampler.peak, usage.ru_maxrss))
    return run, err


def _stages(stderr: str) -> dict[str, float]:
    """Parse the lines of ``sitegen build --timings`` ('  render   1283.7 ms')."""
    return {m.group(1): float(m.group(2)) / 1000
            for m in re.finditer(r"^\s+([a-z][\w-]*)\s+([\d.]+) ms$", stderr, re.M)}


@dataclass
class Trial:
    """One thing to time: a command, what prepares each run, and its limits."""

    m: Measure
    argv: list[str]
    before: object = None       # before(i) prepares run i (-1: the warm-up)
    timeout: float | None = None
    warmup: bool = False


def measure(m: Measure, argv: list[str], cwd: Path, runs: int, before=None, timeout: float | None = None,
            warmup: bool = False) -> Measure:
    """Time ``runs`` runs of one command; ``before(i)`` prepares each; an untimed first run if ``warmup``."""
    return measure_together([Trial(m, argv, before, timeout, warmup)], cwd, runs)[0]


def measure_together(trials: list[Trial], cwd: Path, runs: int) -> list[Measure]:
    """Time several commands in rounds (A B C, A B C, ...), so that a machine that speeds up
    or slows down during the run weighs on every tool alike and their ratios stay fair."""
    for t in trials:
        t.m.load = os.getloadavg()[0]
        if t.warmup:
            if t.before:
                t.before(-1)
            timed(t.argv, cwd, t.timeout)
    for i in range(runs):
        for t in trials:
            if t.m.status != "ok":
                continue
            if t.before:
                t.before(i)
            run, err = timed(t.argv, cwd, t.timeout)
            if run.returncode == -9:
                t.m.status, t.m.detail = "timed out", f"killed after {t.timeout:.0f} s"
                t.m.runs.append(run)
            elif run.returncode != 0:
                t.m.status = "failed"
                t.m.detail = f"exit {run.returncode}: " + " | ".join(err.strip().splitlines()[-5:])
            elif t.m.mode == "edit" and "nothing changed" in err:  # an edit that edits nothing times a warm build
                t.m.status, t.m.detail = "failed", "the edit changed nothing"
            else:
                t.m.runs.append(run)
    for t in trials:
        m = t.m
        label = {"ok": f"median {m.median:.2f} s" if m.median is not None else ""}.get(m.status, m.status)
        print(f"  n={m.n:<6} {m.tool:<15} {m.mode:<6} {label} {m.detail}", file=sys.stderr, flush=True)
    return [t.m for t in trials]


# --- what is cleaned or edited between runs --------------------------------------

def remove(*paths: Path) -> None:
    for path in paths:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()


def clean_sitegen(corpus: Path, site: str, cache: str) -> None:
    remove(corpus / site, corpus / cache, *corpus.glob(f".{site}.sitegen-*"))


class OneWordEdit:
    """Change the first word of one body paragraph of one sheet, alternating, and restore it."""

    def __init__(self, corpus: Path):
        sheets = sorted((corpus / "content" / "sheets").glob("*.md"))
        self.path = sheets[len(sheets) // 2]
        self.original = self.path.read_text(encoding="utf-8")
        head, body = self.original.split("\n---\n", 1)
        lines = body.split("\n")
        index = next(i for i, line in enumerate(lines) if line[:1].isalpha())
        self.prefix, self.line, self.rest = head + "\n---\n", lines[:index], lines[index:]
        self.word = self.rest[0].split(" ", 1)[0]
        # An edit must change the file: a corpus left edited by an interrupted run starts with the word.
        self.edited = EDIT_WORDS[0] if self.word != EDIT_WORDS[0] else "Moreover,"

    def __call__(self, i: int) -> None:
        word = self.edited if i % 2 == 0 else self.word
        first = self.rest[0].split(" ", 1)
        text = self.prefix + "\n".join(self.line + [" ".join([word, first[1]])] + self.rest[1:])
        self.path.write_text(text, encoding="utf-8")

    def restore(self) -> None:
        self.path.write_text(self.original, encoding="utf-8")


# --- one corpus size ---------------------------------------------------------------

def corpus_for(n: int, root: Path, seed: int, regenerate: bool) -> Path:
    out = root / f"n{n}"
    manifest = out / "corpus.json"
    fresh = manifest.exists() and json.loads(manifest.read_text()).get("generator_version") == gen_corpus.GENERATOR_VERSION \
        and json.loads(manifest.read_text()).get("seed") == seed
    if regenerate or not fresh:
        start = time.perf_counter()
        gen_corpus.generate(n, out, seed)
        print(f"generated {out} in {time.perf_counter() - start:.1f} s", file=sys.stderr, flush=True)
    return out


def bench_size(n: int, corpus: Path, args) -> list[Measure]:
    """Cold builds of every tool first, in rounds; then sitegen's rebuilds of the site the last cold build left."""
    runs = args.runs if n <= MANY else args.big_runs
    py = sys.executable
    results, cold = [], []
    sitegen = [py, "-m", "sitegen", "build", "--timings", "-f"]
    cmd = lambda argv: " ".join(a if a != py else "python" for a in argv)  # noqa: E731

    modes = args.modes
    if "startup" in modes:
        argv = [py, "-m", "sitegen", "--version"]
        results.append(measure(Measure(n, "sitegen", "startup", cmd(argv)), argv, corpus, runs, warmup=True))
    argv = sitegen + ["mkdocs.yml"]
    if "cold" in modes or not (corpus / "site").is_dir():
        cold.append(Trial(Measure(n, "sitegen", "cold", cmd(argv)), argv, warmup=n <= BIG,
                          before=lambda i: clean_sitegen(corpus, "site", ".sitegen-cache")))
    if args.search and (n <= BIG or args.search_big):
        argv = sitegen + ["mkdocs-search.yml"]
        cold.append(Trial(Measure(n, "sitegen+search", "cold", cmd(argv)), argv, warmup=n <= BIG,
                          before=lambda i: clean_sitegen(corpus, "site-search", ".sitegen-cache-search")))

    argv = [py, "-m", "mkdocs", "build", "-q", "-f", "mkdocs-stock.yml"]
    m = Measure(n, "mkdocs", "cold", cmd(argv))
    if not args.mkdocs or (n > BIG and not args.mkdocs_big):
        m.status, m.detail = "skipped", "" if args.mkdocs else "--no-mkdocs"
        if n > BIG and args.mkdocs:
            m.detail = "above 5,000 sheets only with --mkdocs-big"
    else:
        cold.append(Trial(m, argv, timeout=args.mkdocs_timeout, warmup=n <= BIG,
                          before=lambda i: remove(corpus / "site-mkdocs")))

    hugo = shutil.which("hugo")
    argv = [hugo or "hugo", "--quiet", "-s", "hugo"]
    h = Measure(n, "hugo", "cold", "hugo --quiet -s hugo")
    if not hugo:
        h.status = "not installed"
    elif not args.hugo:
        h.status = "skipped"
    else:
        cold.append(Trial(h, argv, warmup=True,
                          before=lambda i: remove(corpus / "site-hugo", corpus / ".hugo-resources")))
    measure_together(cold, corpus, runs)
    results += [t.m for t in cold if t.m.tool.startswith("sitegen")]

    argv = sitegen + ["mkdocs.yml"]
    built = (corpus / "site").is_dir() and all(t.m.status == "ok" for t in cold if t.m.tool == "sitegen")
    if built:  # the last cold run left site/ and the cache: every run below is a rebuild
        if "warm" in modes:
            results.append(measure(Measure(n, "sitegen", "warm", cmd(argv)), argv, corpus, runs))
        if "edit" in modes:
            argv = sitegen + ["mkdocs.yml"]
            results.append(measure_edit(n, "sitegen", argv, cmd(argv), corpus, runs))
        searched = (corpus / "site-search").is_dir() and any(t.m.tool == "sitegen+search" for t in cold)
        if "edit" in modes and searched:
            argv = sitegen + ["mkdocs-search.yml"]
            results.append(measure_edit(n, "sitegen+search", argv, cmd(argv), corpus, runs))
    if "serve-edit" in modes:
        results.append(measure_session(n, corpus, runs))
    return results + [m, h]


def measure_edit(n: int, tool: str, argv: list[str], shown: str, corpus: Path, runs: int) -> Measure:
    """A new build process after each one-word edit of the middle sheet (restored at the end)."""
    edit = OneWordEdit(corpus)
    try:
        return measure(Measure(n, tool, "edit", f"{shown}  (after editing {edit.path.name})"), argv, corpus,
                       runs, before=edit)
    finally:
        edit.restore()


def measure_session(n: int, corpus: Path, runs: int) -> Measure:
    """One-sheet edits rebuilt inside one process, as `sitegen serve` does (bench/session_edit.py)."""
    argv = [sys.executable, str(Path(__file__).with_name("session_edit.py")), str(corpus), "--runs", str(runs)]
    m = Measure(n, "sitegen", "serve-edit", "python bench/session_edit.py <corpus> (a rebuild in a live session)")
    m.load = os.getloadavg()[0]
    done = subprocess.run(argv, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(REPO)})
    if done.returncode != 0:
        m.status, m.detail = "failed", " | ".join(done.stderr.strip().splitlines()[-5:])
    for line in done.stdout.splitlines():
        row = json.loads(line)
        m.runs.append(Run(row["wall"], row["cpu"], row["rss_kb"], 0, row["stages"], row["rss_kb"]))
        if row["rendered"] == 0:  # the edit changed nothing: this would time an idle rebuild
            m.status, m.detail = "failed", "the edit changed nothing"
    label = f"median {m.median:.2f} s" if m.median is not None else m.status
    print(f"  n={m.n:<6} {m.tool:<15} {m.mode:<6} {label} {m.detail}", file=sys.stderr, flush=True)
    return m


# --- reporting ---------------------------------------------------------------------

def engine_digest() -> str:
    """A short hash of sitegen/ (its packaged theme included) as it is on disk: the tree may change under a long run."""
    h = hashlib.sha256()
    for folder in ("sitegen",):
        for path in sorted((REPO / folder).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                h.update(path.relative_to(REPO).as_posix().encode() + b"\0" + path.read_bytes())
    return h.hexdigest()[:12]


def machine() -> dict:
    cpu = ""
    try:
        cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                    if line.startswith("model name")), "")
    except OSError:
        pass
    versions = {}
    for pkg in ("sitegen", "mkdocs", "markdown", "jinja2", "pyyaml", "nh3", "pagefind", "click"):
        try:
            versions[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            versions[pkg] = "not installed" if pkg != "sitegen" else "source tree"
    hugo = shutil.which("hugo")
    if hugo:
        out = subprocess.run([hugo, "version"], capture_output=True, text=True).stdout.split()
        versions["hugo"] = out[1] if len(out) > 1 else "?"
    else:
        versions["hugo"] = "not installed"
    git = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "sitegen"], capture_output=True, text=True)
    return {"nproc": os.cpu_count(), "cpu": cpu, "loadavg": os.getloadavg(), "engine_digest": engine_digest(), "python": platform.python_version(),
            "platform": platform.platform(), "versions": versions,
            "commit": git.stdout.strip() + (" (sitegen/ modified)" if dirty.stdout.strip() else "")}


def fmt(value: float | None, digits: int = 2) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def table(results: list[Measure]) -> str:
    rows = ["| sheets | tool | build | runs | median s | min s | CPU s | peak RSS MB | all processes MB | load | note |",
            "|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---|"]
    for m in results:
        note = m.status if m.status != "ok" else ""
        if m.detail and m.status != "ok":
            note += f" ({m.detail})"
        rows.append(f"| {m.n:,} | {m.tool} | {m.mode} | {len(m.runs)} | {fmt(m.median)} | {fmt(m.minimum)} | "
                    f"{fmt(m.cpu)} | {fmt(m.rss_mb, 0)} | {fmt(m.tree_mb, 0)} | {fmt(m.load, 1)} | {note} |")
    return "\n".join(rows)


def find(results, n, tool, mode="cold") -> Measure | None:
    return next((m for m in results if m.n == n and m.tool == tool and m.mode == mode), None)


def ratio(a: Measure | None, b: Measure | None) -> float | None:
    if a is None or b is None or a.median is None or b.median is None:
        return None
    return a.median / b.median


def cpu_ratio(a: Measure | None, b: Measure | None) -> float | None:
    if a is None or b is None or a.cpu is None or b.cpu is None:
        return None
    return a.cpu / b.cpu


def ratios(results: list[Measure]) -> str:
    rows = ["| sheets | sitegen / mkdocs | sitegen / hugo | sitegen+search / mkdocs | sitegen+search / hugo "
            "| CPU: sitegen / mkdocs | CPU: sitegen / hugo |",
            "|---:|---:|---:|---:|---:|---:|---:|"]
    for n in sorted({m.n for m in results}):
        s, ss = find(results, n, "sitegen"), find(results, n, "sitegen+search")
        mk, hu = find(results, n, "mkdocs"), find(results, n, "hugo")
        rows.append(f"| {n:,} | {fmt(ratio(s, mk))} | {fmt(ratio(s, hu))} | {fmt(ratio(ss, mk))} | {fmt(ratio(ss, hu))} "
                    f"| {fmt(cpu_ratio(s, mk))} | {fmt(cpu_ratio(s, hu))} |")
    return "\n".join(rows)


def stages(results: list[Measure]) -> str:
    rows = []
    for m in results:
        if m.tool == "sitegen" and m.runs and m.runs[0].stages:
            names = list(m.runs[0].stages)
            med = {k: statistics.median(r.stages.get(k, 0.0) for r in m.runs) for k in names}
            parts = ", ".join(f"{k} {v:.2f}" for k, v in med.items())
            rows.append(f"- {m.n:,} sheets, {m.mode}: {parts} (s, median of {len(m.runs)}; "
                        f"in-process total {sum(med.values()):.2f} s of {m.median:.2f} s wall)")
    return "\n".join(rows)


def verdicts(results: list[Measure]) -> str:
    def val(n, tool, mode="cold"):
        m = find(results, n, tool, mode)
        return m.median if m else None

    checks = []
    r = ratio(find(results, 1000, "sitegen"), find(results, 1000, "mkdocs"))
    checks.append(("cold 1,000 <= 0.25x MkDocs", r, TARGETS["cold_vs_mkdocs_1000"], "x"))
    r = ratio(find(results, 1000, "sitegen"), find(results, 1000, "hugo"))
    checks.append(("cold 1,000 <= 3x Hugo", r, TARGETS["cold_vs_hugo_1000"], "x"))
    checks.append(("warm 1,000 <= 0.5 s", val(1000, "sitegen", "warm"), TARGETS["warm_1000_s"], " s"))
    checks.append(("one-sheet edit 1,000 <= 0.3 s", val(1000, "sitegen", "edit"), TARGETS["edit_1000_s"], " s"))
    checks.append(("one-sheet edit 1,000 with search <= 0.6 s", val(1000, "sitegen+search", "edit"),
                   TARGETS["edit_search_1000_s"], " s"))
    checks.append(("one-sheet edit 10,000 <= 1.5 s", val(10000, "sitegen", "edit"), TARGETS["edit_10000_s"], " s"))
    checks.append(("one-sheet edit in `serve` 1,000 <= 0.3 s", val(1000, "sitegen", "serve-edit"),
                   TARGETS["edit_1000_s"], " s"))
    # The rebuild alone: save to reloaded page (serve_browser.py) adds the watching and the reload.
    checks.append(("rebuild in `serve` 10,000 <= 1 s (save to reload is more)", val(10000, "sitegen", "serve-edit"),
                   TARGETS["serve_reload_10000_s"], " s"))
    r = ratio(find(results, 10000, "sitegen"), find(results, 1000, "sitegen"))
    checks.append(("cold 10,000 / 1,000 <= 11x", r, TARGETS["scale_10000_over_1000"], "x"))
    m = find(results, 10000, "sitegen")
    checks.append(("peak RSS 10,000 <= 600 MB (largest process)", m.rss_mb if m else None,
                   TARGETS["rss_10000_mb"], " MB"))
    checks.append(("peak RSS 10,000 <= 600 MB (all processes)", m.tree_mb if m else None,
                   TARGETS["rss_10000_mb"], " MB"))
    rows = ["| target | measured | met |", "|---|---:|---|"]
    for name, value, limit, unit in checks:
        met = "not measured" if value is None else ("yes" if value <= limit else "no")
        rows.append(f"| {name} | {fmt(value)}{unit if value is not None else ''} | {met} |")
    return "\n".join(rows)


def report(results: list[Measure], info: dict, argv: list[str]) -> str:
    v = info["versions"]
    return "\n\n".join([
        f"Machine: {info['nproc']} CPUs, {info['cpu']}; Python {info['python']}; {info['platform']}; "
        f"load average at start {info['loadavg'][0]:.2f}, at end {os.getloadavg()[0]:.2f}",
        "Versions: " + ", ".join(f"{k} {val}" for k, val in v.items()) + f"; commit {info['commit']}",
        f"Engine (sitegen/ + templates/) digest at start {info['engine_digest']}, at end {info['engine_digest_end']}"
        + ("" if info["engine_digest"] == info["engine_digest_end"] else
           " — the engine changed during the run: rows may mix versions"),
        "Command: `python bench/run.py " + " ".join(argv) + "`"
        + (" (with the saved results of " + ", ".join(info["merged"]) + ")" if info.get("merged") else ""),
        table(results), "Ratios of median cold builds:", ratios(results),
        "sitegen stages (from --timings):", stages(results) or "(none reported)",
        "Targets:", verdicts(results),
    ]) + "\n"


def load_results(path: Path) -> list[Measure]:
    """Measures saved by an earlier run, so that sizes timed apart can be compared."""
    measures = []
    for item in json.loads(path.read_text())["results"]:
        runs = [Run(**r) for r in item["runs"]]
        measures.append(Measure(item["n"], item["tool"], item["mode"], item["command"], runs,
                                item["status"], item["detail"], item.get("load")))
    return measures


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[100, 1000],
                        help="corpus sizes (default 100 1000); none with --merge just reports saved results")
    parser.add_argument("--with-10000", action="store_true", help="add the 10,000-sheet corpus (slow)")
    parser.add_argument("--runs", type=int, default=5, help="runs per measurement up to 1,000 sheets")
    parser.add_argument("--big-runs", type=int, default=3, help="runs per measurement above 1,000 sheets")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--corpus-root", type=Path, default=REPO / "bench" / "corpus")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "out")
    parser.add_argument("--regenerate", action="store_true", help="rewrite the corpora even if up to date")
    parser.add_argument("--modes", nargs="+", choices=MODES, default=list(MODES),
                        help="which sitegen builds to time (default all)")
    parser.add_argument("--no-search", dest="search", action="store_false", help="skip sitegen with Pagefind")
    parser.add_argument("--search-big", action="store_true", help="also time sitegen+search above 5,000 sheets (once)")
    parser.add_argument("--no-mkdocs", dest="mkdocs", action="store_false", help="skip stock MkDocs")
    parser.add_argument("--mkdocs-big", action="store_true", help="also run MkDocs above 5,000 sheets (once)")
    parser.add_argument("--mkdocs-timeout", type=float, default=900.0, help="seconds before an MkDocs build is killed")
    parser.add_argument("--no-hugo", dest="hugo", action="store_false", help="skip Hugo")
    parser.add_argument("--merge", type=Path, action="append", default=[],
                        help="a results-*.json of an earlier run to report together with this one")
    args = parser.parse_args(argv)
    sizes = sorted(set(args.sizes + ([10000] if args.with_10000 else [])))

    info = machine()
    results: list[Measure] = [m for path in args.merge for m in load_results(path)]
    if args.merge:
        info["merged"] = [str(p) for p in args.merge]
    for n in sizes:
        corpus = corpus_for(n, args.corpus_root, args.seed, args.regenerate)
        results += bench_size(n, corpus, args)
    info["engine_digest_end"] = engine_digest()
    text = report(results, info, sys.argv[1:] if argv is None else argv)
    print(text)
    args.out.mkdir(parents=True, exist_ok=True)
    stem = "results-" + "-".join(str(n) for n in sorted({m.n for m in results}))
    (args.out / f"{stem}.md").write_text(text)
    (args.out / f"{stem}.json").write_text(json.dumps(
        {"machine": info, "results": [dict(asdict(m), median=m.median, minimum=m.minimum, cpu_median=m.cpu,
                                           peak_rss_mb=m.rss_mb, tree_rss_mb=m.tree_mb) for m in results]}, indent=2) + "\n")
    print(f"wrote {args.out / stem}.md and .json", file=sys.stderr)


if __name__ == "__main__":
    main()
