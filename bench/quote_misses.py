"""The cost of quotes that are not found: 3,000 invented quotes against a 1.9 MB stored text.

    python bench/quote_misses.py [--runs 3] [--out bench/out/quote-misses]

Writes a copy of tests/fixtures/small-site with one extra source (1.9 MB of words drawn from
the seed article, in 80-word paragraphs, sha256 pinned) and one sheet citing it 3,000 times
with quotes no passage resembles, then times `sitegen build --no-cache` (which fails, with
one error per quote) and prints the median wall time. Before the quote index (issue #11)
this took 2 min 48 s; SECURITY.md states the bound.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "content" / "sources" / "xinhua-2024-12-20-fm-briefing.txt"
INVENTED = ["zebra quantum lantern harbour", "purple elephants dance quietly", "seven moons over the river"]


def make_site(out: Path, quotes: int = 3000, size: int = 1_900_000) -> None:
    shutil.rmtree(out, ignore_errors=True)
    shutil.copytree(ROOT / "tests" / "fixtures" / "small-site", out)
    config = (out / "mkdocs.yml").read_text(encoding="utf-8")
    config = config.replace("  name: null\n  custom_dir: !ENV [SITEGEN_TEST_TEMPLATES, ../../../sitegen/themes/factsheet]\n",
                            "  name: factsheet\n")
    (out / "mkdocs.yml").write_text(config, encoding="utf-8")
    rng = random.Random(3)
    words = SEED.read_text(encoding="utf-8").split()
    paragraphs, total = [], 0
    while total < size:
        paragraph = " ".join(rng.choice(words) for _ in range(80)) + "."
        paragraphs.append(paragraph)
        total += len(paragraph) + 2
    data = (" date 2024-03-01 Big text\nBy A Writer\nBEIJING, Dec. 19 (Xinhua) -- "
            + "\n\n".join(paragraphs) + "\n").encode("utf-8")
    (out / "content" / "sources" / "big-text.txt").write_bytes(data)
    (out / "content" / "sources" / "big-text.yml").write_text(
        "title: Big text\npublisher: Test\npublished: 2024-03-01\nlanguage: en\nkind: news\n"
        f"rights: full-text\nsha256: {hashlib.sha256(data).hexdigest()}\n", encoding="utf-8")
    body = "\n\n".join(f'Claim {i} [@big-text "{rng.choice(INVENTED)} {i} {rng.choice(words)} {rng.choice(words)}"].'
                       for i in range(quotes))
    (out / "content" / "sheets" / "misses.md").write_text(
        f"---\ntitle: Misses\nsummary: Many invented quotes.\nas_of: 2024-03-01\n---\n{body}\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "quote-misses")
    args = parser.parse_args()
    make_site(args.out)
    times = []
    for _ in range(args.runs):
        started = time.monotonic()
        result = subprocess.run([sys.executable, "-m", "sitegen", "build", "--no-cache"], cwd=args.out,
                                capture_output=True, text=True)
        times.append(time.monotonic() - started)
        errors = result.stderr.count(": error: ")
    print(f"{errors} quote errors; build times {', '.join(f'{t:.2f}' for t in times)} s; "
          f"median {statistics.median(times):.2f} s")


if __name__ == "__main__":
    main()
