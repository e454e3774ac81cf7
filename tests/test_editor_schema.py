"""`sitegen schema`: the JSON Schemas agree with the checker.

Every content file this repository ships validates; on the invalid cases, a schema
that refuses a file always matches an error the checker reports in that file, and
the cases whose problem is the shape of one file are refused by the schema too.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import jsonschema
import pytest

from sitegen.read import frontmatter, yamlload
from sitegen.editor_schema import NAMES, schemas
from sitegen.errors import ContentError

from conftest import REPO, SMALL_SITE, run_sitegen, sitegen_env

INVALID = REPO / "tests" / "invalid"
# The invalid cases whose one problem is the shape of one file: the schema must refuse them.
SHAPE_CASES = ["entity-without-kind", "missing-required-field", "unknown-field", "wrong-type",
               "source-url-javascript-with-spaces", "source-url-not-http", "source-url-data",
               "source-url-vbscript", "source-url-breaks-out-of-attribute", "source-url-protocol-relative"]


def plain(value):
    """YAML as the editor's YAML extension sees it: dates are text, mappings plain."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def kind_of(rel: str) -> str | None:
    """Which schema a file under docs_dir answers to, if any."""
    if rel.startswith("sheets/") and rel.endswith(".md") and rel.count("/") == 1:
        return "sheet"
    if rel.startswith("sources/") and rel.endswith(".yml") and rel.count("/") == 1:
        return "source"
    return {"data/topics.yml": "topics", "data/entities.yml": "entities"}.get(rel)


def load(path: Path, kind: str):
    """The file's data, or None when it is not YAML at all (the checker's syntax errors)."""
    try:
        text = path.read_bytes().decode("utf-8-sig").replace("\r\n", "\n")
        if kind == "sheet":
            text = frontmatter.split(text, path.name).front
            if text is None:
                return None
        return plain(yamlload.load(text, path.name))
    except (UnicodeDecodeError, ContentError):
        return None


def problems(kind: str, data) -> list[str]:
    validator = jsonschema.Draft202012Validator(schemas()[kind])
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(data)]


def content_files(docs: Path):
    for path in sorted(docs.rglob("*")):
        kind = kind_of(path.relative_to(docs).as_posix()) if path.is_file() else None
        if kind:
            yield path, kind


@pytest.mark.parametrize("docs", [REPO / "content", REPO / "sitegen" / "starter" / "content", SMALL_SITE / "content"],
                         ids=["repository", "new-site", "small-site"])
def test_every_shipped_file_validates(docs):
    checked = 0
    for path, kind in content_files(docs):
        data = load(path, kind)
        assert data is not None, path
        assert problems(kind, data) == [], path
        checked += 1
    assert checked >= 4


def test_the_schemas_are_valid_json_schemas_and_the_command_prints_them(tmp_path):
    for name, body in schemas().items():
        jsonschema.Draft202012Validator.check_schema(body)
    printed = run_sitegen("schema", cwd=tmp_path, env=sitegen_env())
    assert printed.returncode == 0 and json.loads(printed.stdout) == schemas()
    one = run_sitegen("schema", "source", cwd=tmp_path, env=sitegen_env())
    assert json.loads(one.stdout) == schemas()["source"]
    wrote = run_sitegen("schema", "--write", "out", cwd=tmp_path, env=sitegen_env())
    assert (wrote.returncode, wrote.stderr) == (0, "wrote 4 schemas to out\n")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [f"{n}.schema.json" for n in sorted(NAMES)]


def test_schema_and_checker_agree_on_the_invalid_cases():
    refused_cases = set()
    for case in sorted(p for p in INVALID.iterdir() if p.is_dir()):
        expected = (case / "expected.txt").read_text(encoding="utf-8")
        if not (case / "content").is_dir():
            continue
        for path, kind in content_files(case / "content"):
            data = load(path, kind)
            if data is None:
                continue
            found = problems(kind, data)
            shown = "content/" + path.relative_to(case / "content").as_posix()
            if found:
                refused_cases.add(case.name)
                # whatever the schema refuses, the checker reports as an error in that file
                assert f"{shown}:" in expected and ": error: " in expected, (case.name, found)
    assert set(SHAPE_CASES) <= refused_cases, sorted(set(SHAPE_CASES) - refused_cases)


def test_a_new_site_maps_the_schemas_for_the_editor(tmp_path):
    made = run_sitegen("new", "site", "s", cwd=tmp_path, env=sitegen_env())
    assert made.returncode == 0, made.stderr
    site = tmp_path / "s"
    settings = (site / ".vscode" / "settings.json").read_text(encoding="utf-8")
    mapping = json.loads("\n".join(line for line in settings.splitlines() if not line.strip().startswith("//")))
    for schema_file, pattern in mapping["yaml.schemas"].items():
        assert json.loads((site / schema_file).read_text(encoding="utf-8")) == schemas()[Path(schema_file).name.split(".")[0]]
        assert list(site.glob(pattern)), pattern  # each pattern names files the new site has
