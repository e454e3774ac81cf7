"""Save to screen: how long a one-word title edit takes to reach an open page in Chromium.

    python bench/serve_browser.py bench/corpus/n1000 --runs 5

Starts `sitegen serve` on the corpus (its own process, as an editor runs it),
opens the middle sheet in headless Debian Chromium, then changes the sheet's
title (or, with --body, one word of its body, as run.py's edit does) and times the moment the file is saved to the moment the new title is on
the page has loaded again with it: file watching (a 0.2 s poll), the rebuild,
the live-reload signal and the browser's reload together. Prints one line per
edit, with the serve process's highest resident size so far (VmHWM), and the median.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import OneWordEdit  # noqa: E402
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_served(url: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"{url} was not served within {seconds:.0f} s")


def highest_rss_kb(pid: int) -> int:
    """The process's highest resident size so far, in KiB (Linux's VmHWM)."""
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))


def main() -> None:
    from playwright.sync_api import expect, sync_playwright

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--body", action="store_true", help="edit one word of the body instead of the title")
    args = parser.parse_args()
    sheets = sorted((args.corpus / "content" / "sheets").glob("*.md"))
    sheet = sheets[len(sheets) // 2]  # the sheet OneWordEdit edits
    original = sheet.read_text(encoding="utf-8")
    title = next(line for line in original.splitlines() if line.startswith("title: "))
    port = free_port()
    env = dict(os.environ, PYTHONPATH=str(REPO), SITE_URL=f"http://127.0.0.1:{port}/")
    server = subprocess.Popen([sys.executable, "-m", "sitegen", "serve", "-a", f"127.0.0.1:{port}", "-f", "mkdocs.yml"],
                              cwd=args.corpus, env=env, stderr=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}/sheets/{sheet.stem}/"
    latencies = []
    try:
        wait_until_served(url, 600)  # the first build of the session parses and renders everything
        print(f"first build: highest RSS {highest_rss_kb(server.pid)} KiB", flush=True)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            page = browser.new_page()
            page.goto(url)
            heading = page.locator("h1#sheet-title")
            body_edit = OneWordEdit(args.corpus)
            for run in range(args.runs):
                new = f"title: Edited title {run + 1}"
                time.sleep(1.0)  # an editor saves seconds apart
                # The reload is awaited as an event: polling the heading would add Playwright's
                # own polling steps (0.1, 0.25, 0.5 s...) to the figure.
                with page.expect_navigation(wait_until="load", timeout=60_000):
                    if args.body:
                        body_edit(run)
                    else:
                        sheet.write_text(original.replace(title, new, 1), encoding="utf-8")
                    saved = time.monotonic()
                latencies.append(time.monotonic() - saved)
                if args.body:  # the reloaded page is the new one
                    assert (body_edit.edited in page.content()) == (run % 2 == 0)
                else:
                    expect(heading).to_have_text(new[len("title: "):], timeout=1000)
                print(f"edit {run + 1}: {latencies[-1]:.2f} s from save to the reloaded page; "
                      f"highest RSS {highest_rss_kb(server.pid)} KiB", flush=True)
            browser.close()
    finally:
        sheet.write_text(original, encoding="utf-8")
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    print(f"median {statistics.median(latencies):.2f} s over {len(latencies)} edits")


if __name__ == "__main__":
    main()
