"""The code's shape: stages that import one way, small modules, short functions.

Each module belongs to a layer, and imports only from its own layer or the
ones below it, so the pipeline reads top to bottom (docs/decisions.md, "The
layout"). The limits are the ones issue #14 set: no module over 400 lines, no
function over 60.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "sitegen"

# Lowest first. A module is placed by its dotted name under sitegen, most specific prefix first.
LAYERS = [
    ("base", ["__init__", "errors", "memory", "workers", "countries", "hostname", "model"]),
    ("parse", ["read.yamlload", "read.frontmatter", "read.crawled"]),
    ("config", ["config", "themes"]),
    ("read", ["read"]),
    ("check", ["folding", "quotes", "site", "indexes", "sheetcheck", "resolve"]),
    ("render", ["render"]),
    ("write", ["write"]),
    ("build", ["session", "build"]),
    ("commands", ["watch", "serve", "deploy", "importer", "scaffold", "listing", "editor_schema", "mkdocs_plugin", "cli",
                  "__main__", "starter"]),
]
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60


def modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        if parts[-1] == "__init__" and len(parts) > 1:
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def layer_of(name: str) -> int:
    best = None
    for index, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if name == prefix or name.startswith(prefix + "."):
                if best is None or len(prefix) > best[1]:
                    best = (index, len(prefix))
    assert best is not None, f"sitegen/{name} is in no layer: add it to LAYERS in tests/test_layout.py"
    return best[0]


def imports(name: str, path: Path) -> set[str]:
    """The sitegen modules a module imports (relative or absolute), at any depth of its code.
    ``from .read import yamlload`` imports the module read.yamlload, not the package read."""
    known = modules()
    package = name.split(".")[:-1] if path.name != "__init__.py" else name.split(".")
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                target = ".".join([*package[: len(package) - node.level + 1], *([node.module] if node.module else [])])
            elif node.module and (node.module == "sitegen" or node.module.startswith("sitegen.")):
                target = node.module.removeprefix("sitegen").lstrip(".")
            else:
                continue
            for alias in node.names:
                inner = f"{target}.{alias.name}".lstrip(".")
                found.add(inner if inner in known else target)
        elif isinstance(node, ast.Import):
            found.update(a.name.removeprefix("sitegen.") for a in node.names if a.name.startswith("sitegen."))
    return {n for n in found if n in known and n != name}


def test_imports_point_down_only():
    upward = []
    for name, path in modules().items():
        for target in imports(name, path):
            if layer_of(target) > layer_of(name):
                upward.append(f"sitegen/{name} ({LAYERS[layer_of(name)][0]}) imports {target} "
                              f"({LAYERS[layer_of(target)][0]})")
    assert upward == []


def test_no_module_is_over_the_limit():
    long = {name: n for name, path in modules().items()
            if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES}
    assert long == {}


def test_no_function_is_over_the_limit():
    long = []
    for name, path in modules().items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = node.end_lineno - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    long.append(f"sitegen/{name}.{node.name}: {length} lines")
    assert long == []
