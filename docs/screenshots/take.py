"""Screenshots of the built site, to look at what a reader sees.

Serves an existing site/ folder (it builds nothing: run `python -m sitegen build`
first) on 127.0.0.1 with `python -m http.server`, opens pages in headless
Chromium through Playwright, and writes PNGs next to this file: each page at
desktop (1280 px) and phone (390 px) width, a sheet in the dark scheme, a
source page opened at a cited passage, and a sheet printed to A4 PDF and
rendered page by page with pdftoppm (to check the print layout).

    python docs/screenshots/take.py [--site site] [--out docs/screenshots]
"""

from __future__ import annotations

import argparse
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

try:  # optional: a 256-colour palette makes the PNGs a third of their size
    from PIL import Image
except ImportError:  # pragma: no cover - the shots are still taken, just larger
    Image = None

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]

PAGES = {  # name -> site-relative URL
    "home": "",
    "sheet": "sheets/december-2024-assessments/",
    "source": "sources/xinhua-2024-12-20-fm-briefing/",
    "timeline": "timeline/",
    "topic": "topics/precursors/",
    "entity": "entities/lin-jian/",
    "figures": "figures/",
}
WIDTHS = {"desktop": (1280, 800), "phone": (390, 844)}
MAX_HEIGHT = 3000          # full-page shots are clipped here to keep the files small
PRINT_SHEET = "sheets/december-2024-assessments/"
TARGET = "sources/xinhua-2024-12-20-fm-briefing/#q-5b20e11371"   # "scheduled over 50 controlled substances"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve(folder: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1",
                               "--directory", str(folder)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}/"
    for _ in range(100):
        try:
            urllib.request.urlopen(base, timeout=1).close()
            return server, base
        except OSError:
            time.sleep(0.05)
    server.kill()
    raise SystemExit(f"the server on {base} did not start")


def shrink(path: Path) -> None:
    """Re-save a PNG with an adaptive 256-colour palette, when Pillow is there."""
    if Image is None:
        return
    with Image.open(path) as image:
        small = image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    small.save(path, optimize=True)


def report(path: Path) -> None:
    print(f"{path.name}  {path.stat().st_size // 1024} KB")


def shoot(page, url: str, path: Path) -> None:
    page.goto(url, wait_until="load")
    height = page.evaluate("document.documentElement.scrollHeight")
    width = page.viewport_size["width"]
    clip = {"x": 0, "y": 0, "width": width, "height": min(height, MAX_HEIGHT)}
    page.screenshot(path=str(path), full_page=True, clip=clip)
    shrink(path)
    report(path)


def print_pages(browser, url: str, out: Path, stem: str) -> int:
    """Print a page to A4 PDF, render each page at 60 dpi; returns the page count."""
    page = browser.new_page()
    page.emulate_media(media="print")
    page.goto(url, wait_until="load")
    with tempfile.TemporaryDirectory() as tmp:
        pdf = Path(tmp) / f"{stem}.pdf"
        page.pdf(path=str(pdf), format="A4", print_background=True, prefer_css_page_size=True)
        page.close()
        for old in out.glob(f"{stem}-*.png"):
            old.unlink()
        subprocess.run(["pdftoppm", "-png", "-r", "60", str(pdf), str(out / stem)], check=True)
    pages = sorted(out.glob(f"{stem}-*.png"))
    for path in pages:  # pdftoppm numbers pages with as many digits as the count needs
        number = int(path.stem.rsplit("-", 1)[1])
        path.rename(out / f"{stem}-{number}.png")
    for path in sorted(out.glob(f"{stem}-*.png")):
        shrink(path)
        report(path)
    return len(pages)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, default=ROOT / "site", help="the built site to serve")
    parser.add_argument("--out", type=Path, default=HERE, help="where the PNGs go")
    args = parser.parse_args()
    if not (args.site / "index.html").is_file():
        raise SystemExit(f"no built site in {args.site}: run `python -m sitegen build` first")
    if not shutil.which("pdftoppm"):
        raise SystemExit("pdftoppm is missing: apt-get install poppler-utils")
    args.out.mkdir(parents=True, exist_ok=True)
    server, base = serve(args.site)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for kind, (width, height) in WIDTHS.items():
                context = browser.new_context(viewport={"width": width, "height": height}, color_scheme="light", reduced_motion="reduce")
                page = context.new_page()
                for name, url in PAGES.items():
                    shoot(page, base + url, args.out / f"{name}-{kind}.png")
                context.close()
            context = browser.new_context(viewport={"width": 1280, "height": 800}, color_scheme="dark", reduced_motion="reduce")
            page = context.new_page()
            shoot(page, base + PAGES["sheet"], args.out / "sheet-desktop-dark.png")
            context.close()
            context = browser.new_context(viewport={"width": 1280, "height": 800}, color_scheme="light", reduced_motion="reduce")
            page = context.new_page()
            page.goto(base + TARGET, wait_until="load")
            path = args.out / "source-target-desktop.png"
            page.screenshot(path=str(path))
            shrink(path)
            report(path)
            context.close()
            count = print_pages(browser, base + PRINT_SHEET, args.out, "sheet-print")
            print(f"the sheet prints on {count} A4 page(s)")
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
