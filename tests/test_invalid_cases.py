"""Invalid input, one folder per case: exact messages, exit codes, and the previous site kept.

Each ``tests/invalid/<case>/`` holds the files that differ from the base site
(``tests/fixtures/small-site``) and ``expected.txt``: ``exit: N`` on its first
line, then exactly what ``python -m sitegen build`` prints on stderr. An
optional ``rename.txt`` moves overlaid files afterwards (``from => to``, with
``\\uXXXX`` escapes), for names a checkout could not hold, such as two files
differing only in case or in Unicode normalisation.

For every case the base site is built first; the case's build must fail
without changing a byte of that build, or, in a case of warnings only
(``exit: 0``), print them and publish a whole site (the build's time is
written ``<time>``). See tests/invalid/README.md; to
rewrite every expected.txt from the current engine:

    python tests/test_invalid_cases.py --regenerate
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # for conftest when run as a script

from conftest import REGENERATE, SMALL_SITE, TODAY, leftovers, run_sitegen, snapshot  # noqa: E402

INVALID = Path(__file__).resolve().parent / "invalid"
CASE_FILES = {"expected.txt", "rename.txt", "README.md"}
CASES = sorted(p.name for p in INVALID.iterdir() if p.is_dir()) if INVALID.is_dir() else []


def apply_case(case: Path, root: Path) -> None:
    """Lay the case's files over the site at root, then apply its renames."""
    for path in sorted(case.rglob("*")):
        rel = path.relative_to(case).as_posix()
        if path.is_file() and rel not in CASE_FILES:
            target = root / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
    renames = case / "rename.txt"
    if renames.exists():
        for line in renames.read_text(encoding="ascii").splitlines():
            if line.strip() and not line.startswith("#"):
                old, new = (part.strip().encode("ascii").decode("unicode_escape") for part in line.split("=>"))
                assert (root / old).exists(), f"{renames}: {old} does not exist"
                (root / old).rename(root / new)


@pytest.fixture(scope="session")
def base_build(tmp_path_factory) -> Path:
    """The base site with a good build in site/, made once and copied for each case."""
    from sitegen.build import build
    from sitegen.config import load_config

    root = tmp_path_factory.mktemp("invalid-base") / "site-root"
    shutil.copytree(SMALL_SITE, root, ignore=shutil.ignore_patterns("site", ".site.*", ".sitegen-cache"))
    build(load_config(root / "mkdocs.yml"), today=TODAY)
    return root


def test_cases_exist():
    assert len(CASES) >= 21, CASES


@pytest.mark.parametrize("name", CASES)
def test_invalid_case(name: str, base_build: Path, tmp_path: Path) -> None:
    case = INVALID / name
    root = tmp_path / "site-root"
    shutil.copytree(base_build, root, symlinks=True)
    before = snapshot(root / "site")
    assert before, "the base build is empty"
    apply_case(case, root)

    result = run_sitegen("build", cwd=root)
    stderr = result.stderr.replace(str(root), "<site>")
    if result.returncode == 0:  # a case of warnings only: the build goes on, in a time that varies
        stderr = re.sub(r" in \d+\.\d\d s;", " in <time> s;", stderr)
    actual = f"exit: {result.returncode}\n" + stderr

    expected_path = case / "expected.txt"
    if REGENERATE:
        expected_path.write_bytes(actual.encode("utf-8"))
    else:
        assert expected_path.exists(), f"{expected_path} is missing: run python tests/test_invalid_cases.py --regenerate"
        assert actual == expected_path.read_bytes().decode("utf-8")
    if result.returncode == 0:  # it must say why it is doubtful, and still publish a whole site
        assert " warning: " in result.stderr and " error: " not in result.stderr, "a case that builds must warn"
        assert result.stdout == "" and leftovers(root / "site") == [] and (root / "site" / "index.html").is_file()
        return
    assert result.returncode in (1, 2), "an invalid case must fail"
    assert result.stdout == ""
    assert snapshot(root / "site") == before, "a failed build changed the previous site"
    assert leftovers(root / "site") == []


if __name__ == "__main__":
    if "--regenerate" in sys.argv[1:]:
        os.environ["SITEGEN_REGENERATE"] = "1"
    sys.exit(pytest.main([__file__, "-q", "-p", "no:cacheprovider"]))
