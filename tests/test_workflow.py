"""The GitHub Pages workflows (this repository's and the one `sitegen new site` writes):
the official Pages flow with a pull-request check, checked as data and linted against
the workflow schema."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
WORKFLOWS = {"repository": REPO / ".github" / "workflows" / "pages.yml",
             "new-site": REPO / "sitegen" / "starter" / "dot-github" / "workflows" / "pages.yml"}
DEPENDABOT = [REPO / ".github" / "dependabot.yml", REPO / "sitegen" / "starter" / "dot-github" / "dependabot.yml"]
INSTALL = {"repository": "pip install .", "new-site": 'pip install "sitegen-factsheets>=0.1"'}
PINNED = re.compile(r"^\s*(?:- )?uses: ([\w.-]+/[\w.-]+)@([0-9a-f]{40}) # (v\d+\.\d+\.\d+)$")


@pytest.fixture(scope="module", params=sorted(WORKFLOWS))
def flow(request) -> tuple[str, dict]:
    return request.param, yaml.safe_load(WORKFLOWS[request.param].read_text(encoding="utf-8"))


def names(job: dict) -> list[str]:
    return [step.get("uses", "").split("@")[0] or step["run"].strip() for step in job["steps"]]


def step(job: dict, action: str) -> dict:
    (found,) = [s for s in job["steps"] if s.get("uses", "").split("@")[0] == action]
    return found


def test_runs_on_pull_requests_pushes_to_main_and_by_hand(flow):
    _, workflow = flow
    triggers = workflow[True]  # YAML 1.1: the key `on` reads as true
    assert triggers["push"]["branches"] == ["main"]
    assert "pull_request" in triggers and "workflow_dispatch" in triggers


def test_only_the_deploy_job_may_write_pages(flow):
    _, workflow = flow
    assert workflow["permissions"] == {"contents": "read"}
    jobs = workflow["jobs"]
    assert jobs["deploy"]["permissions"] == {"pages": "write", "id-token": "write"}
    assert all("permissions" not in job for name, job in jobs.items() if name != "deploy")
    assert jobs["deploy"]["concurrency"] == {"group": "pages", "cancel-in-progress": False}


def test_the_check_runs_on_pull_requests_without_pages(flow):
    kind, workflow = flow
    check = workflow["jobs"]["check"]
    assert "if" not in check  # every event, pull requests included
    assert names(check) == ["actions/checkout", "actions/setup-python", INSTALL[kind], "sitegen check --format github"]
    build = workflow["jobs"]["build"]
    assert build["if"] == "github.event_name != 'pull_request'" and build["needs"] == "check"
    assert workflow["jobs"]["deploy"]["needs"] == "build"


def test_the_build_is_cached_and_keeps_hidden_files(flow):
    kind, workflow = flow
    build = workflow["jobs"]["build"]
    assert names(build) == ["actions/checkout", "actions/setup-python", INSTALL[kind], "actions/configure-pages",
                            "actions/cache", "sitegen build", "actions/upload-pages-artifact"]
    assert step(build, "actions/cache")["with"] == {"path": ".sitegen-cache", "key": "sitegen-cache-${{ github.sha }}",
                                                     "restore-keys": "sitegen-cache-"}
    (run,) = [s for s in build["steps"] if s.get("run") == "sitegen build"]
    assert run["env"] == {"SITE_URL": "${{ steps.pages.outputs.base_url }}/"}
    assert step(build, "actions/upload-pages-artifact")["with"] == {"path": "site", "include-hidden-files": True}
    assert str(step(build, "actions/setup-python")["with"]["python-version"]) == "3.11"


def test_actions_are_pinned_by_commit_with_their_version(flow):
    kind, _ = flow
    lines = [line for line in WORKFLOWS[kind].read_text(encoding="utf-8").splitlines() if "uses:" in line]
    assert lines and all(PINNED.match(line) for line in lines), [line for line in lines if not PINNED.match(line)]
    versions = {}
    for line in lines:
        action, sha, version = PINNED.match(line).groups()
        assert versions.setdefault(action, (sha, version)) == (sha, version)  # one pin per action
    majors = {action: int(version[1:].split(".")[0]) for action, (_, version) in versions.items()}
    assert majors == {"actions/checkout": 7, "actions/setup-python": 7, "actions/configure-pages": 6,
                      "actions/cache": 5, "actions/upload-pages-artifact": 5, "actions/deploy-pages": 5}


def test_the_workflows_and_dependabot_lint_clean():
    """check-jsonschema with its vendored schemas for workflows and Dependabot (no network)."""
    for schema, files in (("vendor.github-workflows", list(WORKFLOWS.values())), ("vendor.dependabot", DEPENDABOT)):
        result = subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema, *map(str, files)],
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stdout + result.stderr
    for path in DEPENDABOT:
        config = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert [u["package-ecosystem"] for u in config["updates"]] == ["github-actions"]
