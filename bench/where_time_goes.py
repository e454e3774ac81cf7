"""Where a cold build's time goes, stage by stage, on one core and on all.

    python bench/where_time_goes.py bench/corpus/n1000

First a real cold build (as `sitegen build`, workers included) with each stage's
wall time, and the CPU time its forked workers spent; then the same site's
pages rendered on one core, in process, with the Markdown conversion timed
apart from the templates, and the templates timed one by one. Prints Markdown.
"""

from __future__ import annotations

import argparse
import collections
import resource
import sys
import tempfile
import time
from pathlib import Path

from sitegen import build as build_module
from sitegen.build import build, build_date
from sitegen.config import load_config
from sitegen.errors import Collector
from sitegen.read.loader import load_content
from sitegen.render.markup import MarkdownBodies, MarkdownRenderer
from sitegen.model.graph import Graph
from sitegen.render.pages import Renderer, page_jobs
from sitegen.render.digests import leaf_digests
from sitegen.resolve import resolve


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def whole_build(config) -> None:
    """A cold build into a scratch folder, with plan_pages and render_pages timed apart."""
    spans: dict[str, float] = {}
    plan_pages, render_pages = build_module.plan_pages, build_module.render_pages

    def timed_plan(*args, **kwargs):
        start = time.perf_counter()
        result = plan_pages(*args, **kwargs)
        spans["plan (views and page keys, one core)"] = time.perf_counter() - start
        return result

    def timed_render(*args, **kwargs):
        start, cpu = time.perf_counter(), children_cpu()
        render_pages(*args, **kwargs)
        spans["render_pages (all cores)"] = time.perf_counter() - start
        spans["  of which CPU in the workers"] = children_cpu() - cpu

    build_module.plan_pages, build_module.render_pages = timed_plan, timed_render
    try:
        with tempfile.TemporaryDirectory() as folder:
            start = time.perf_counter()
            result = build(config.with_options(site_dir=Path(folder) / "site", cache_dir=Path(folder) / "cache"))
            total = time.perf_counter() - start
    finally:
        build_module.plan_pages, build_module.render_pages = plan_pages, render_pages
    print(f"Cold build: {result.pages} pages in {total:.2f} s\n\n| stage | s |\n|---|---:|")
    for stage, seconds in {**result.timings, **spans}.items():
        print(f"| {stage} | {seconds:.2f} |")


def one_core(config) -> None:
    """The pages rendered one after another: Markdown first, then each template."""
    report = Collector()
    site = resolve(load_content(config, report).content, report, drafts=config.drafts, today=build_date())
    renderer = Renderer(site, config, MarkdownBodies(MarkdownRenderer(config.markdown_extensions)),
                        Graph(leaf_digests(site)))
    start = time.perf_counter()
    for sheet in site.sheets:
        renderer.views.sheet(sheet.id)["body_html"].__html__()
    markdown = time.perf_counter() - start
    spent, count, size = collections.Counter(), collections.Counter(), collections.Counter()
    for job in page_jobs(site, renderer.views, config):
        start = time.perf_counter()
        page = renderer.render(job)
        spent[job.template] += time.perf_counter() - start
        count[job.template] += 1
        size[job.template] += len(page)
    print(f"\nOne core, in process: sheet views and Markdown {markdown:.2f} s, templates {sum(spent.values()):.2f} s\n")
    print("| template | pages | s | MB |\n|---|---:|---:|---:|")
    for name in sorted(spent, key=lambda n: -spent[n])[:8]:
        print(f"| {name} | {count[name]} | {spent[name]:.2f} | {size[name] / 1e6:.1f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path)
    config = load_config(parser.parse_args().corpus / "mkdocs.yml")
    whole_build(config)
    one_core(config)


if __name__ == "__main__":
    sys.exit(main())
