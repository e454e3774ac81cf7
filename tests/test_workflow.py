"""The GitHub Pages workflow: the official Pages flow, checked as data rather than as text."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

WORKFLOW = Path(__file__).resolve().parents[1] / ".github" / "workflows" / "pages.yml"


@pytest.fixture(scope="module")
def workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))


def steps_using(job: dict, action: str) -> list[dict]:
    return [step for step in job["steps"] if step.get("uses", "").split("@")[0] == action]


def run_step(job: dict, command: str) -> dict:
    found = [step for step in job["steps"] if step.get("run", "").strip() == command]
    assert len(found) == 1, f"expected one step running {command!r}"
    return found[0]


def test_runs_on_push_to_main_and_by_hand(workflow):
    triggers = workflow[True]  # YAML 1.1: the key `on` reads as true
    assert triggers["push"]["branches"] == ["main"]
    assert "workflow_dispatch" in triggers


def test_permissions_and_concurrency(workflow):
    assert workflow["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}
    assert workflow["concurrency"]["group"] == "pages"


def test_build_job_checks_builds_and_uploads_the_site(workflow):
    build = workflow["jobs"]["build"]
    names = [step.get("uses", "").split("@")[0] or step["run"].strip() for step in build["steps"]]
    assert names == [
        "actions/checkout",
        "actions/setup-python",
        "actions/configure-pages",
        "pip install .",
        "sitegen check --format github",
        "sitegen build",
        "actions/upload-pages-artifact",
    ]
    assert str(steps_using(build, "actions/setup-python")[0]["with"]["python-version"]) == "3.11"
    assert steps_using(build, "actions/configure-pages")[0]["id"] == "pages"
    assert run_step(build, "sitegen build")["env"] == {"SITE_URL": "${{ steps.pages.outputs.base_url }}/"}
    assert steps_using(build, "actions/upload-pages-artifact")[0]["with"] == {"path": "site"}


def test_deploy_job_publishes_to_the_pages_environment(workflow):
    deploy = workflow["jobs"]["deploy"]
    assert deploy["needs"] == "build"
    assert deploy["environment"] == {"name": "github-pages", "url": "${{ steps.deployment.outputs.page_url }}"}
    (step,) = steps_using(deploy, "actions/deploy-pages")
    assert step["id"] == "deployment"


def test_actions_are_pinned_to_a_major_version(workflow):
    for job in workflow["jobs"].values():
        for step in job["steps"]:
            if "uses" in step:
                assert "@v" in step["uses"], step["uses"]
