"""`ima2 cardnews` end to end on a sandbox stack of its own whose card news is switched on by
config.json `features.cardNews` alone, set with `ima2 config set` (no IMA2_CARD_NEWS in the environment): draft → generate →
status → retry (after a refused upstream call) → regenerate with edits → show → export a real zip;
the `--json` shapes; and error codes (set not found, nothing to retry, a bad plan file)."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.cli.support import as_json, assert_error, clear_faults, fault, ima2, ok, wait_for
from tests.stackctl import RunningStack, start_stack

FAULT = {"upstream": "openai", "path": "/responses"}


@pytest.fixture(scope="module")
def cn_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    home = tmp_path_factory.mktemp("ima2-cli-cardnews")
    ok(ima2(home, "config", "set", "features.cardNews", "true"))
    running = start_stack(home)  # start_stack drops every IMA2_* variable but IMA2_HOME
    yield running
    running.stop()


def cli(stack: RunningStack, *args: str, cwd: Path | None = None) -> Any:
    return ima2(stack.home, "cardnews", *args, cwd=cwd, timeout=300)


def test_config_file_switches_card_news_on(cn_stack: RunningStack) -> None:
    assert "IMA2_CARD_NEWS" not in cn_stack.env and "IMA2_FEATURES_CARD_NEWS" not in cn_stack.env
    caps = httpx.get(f"{cn_stack.url}/api/capabilities", timeout=10).json()
    assert caps["features"]["cardNews"] is True
    routes = httpx.get(f"{cn_stack.url}/api/cardnews/role-templates", timeout=10)
    assert routes.status_code == 200 and routes.json()["templates"]
    # the sandbox keys svc-auth saved into the same file left the switch in place
    assert json.loads((cn_stack.home / "config.json").read_text())["features"] == {"cardNews": True}


def test_draft_generate_status_show_export(cn_stack: RunningStack, tmp_path: Path) -> None:
    plan_file = tmp_path / "plan.json"
    drafted = as_json(
        ok(
            cli(
                cn_stack,
                "draft",
                "--topic",
                "Solar at home",
                "--roles",
                "short-3",
                "--deterministic",
                "-o",
                str(plan_file),
                "--json",
            )
        )
    )
    assert drafted["planner"]["mode"] == "deterministic" and drafted["saved"] == str(plan_file)
    plan = json.loads(plan_file.read_text())
    assert plan == drafted["plan"] and len(plan["cards"]) == 3
    set_id = plan["setId"]

    cards_dir = tmp_path / "cards"
    job = as_json(
        ok(cli(cn_stack, "generate", str(plan_file), "--provider", "api", "-d", str(cards_dir), "--json"))
    )
    assert job["status"] == "done" and job["setId"] == set_id and job["generated"] == 3
    assert job["jobId"].startswith("cj_") and job["manifestUrl"].endswith(f"/{set_id}/manifest")
    folder = cn_stack.home / "generated" / "cardnews" / set_id
    assert sorted(job["saved"]) == sorted(str(cards_dir / c["imageFilename"]) for c in job["cards"])
    for card in job["cards"]:
        assert (cards_dir / card["imageFilename"]).read_bytes() == (
            folder / card["imageFilename"]
        ).read_bytes()

    status = as_json(ok(cli(cn_stack, "status", job["jobId"], "--json")))
    assert status["jobId"] == job["jobId"] and status["status"] == "done"
    assert [c["status"] for c in status["cards"]] == ["generated"] * 3
    human = ok(cli(cn_stack, "status", job["jobId"]))
    assert job["jobId"] in human.stdout and "card_1" in human.stdout

    shown = as_json(ok(cli(cn_stack, "show", set_id, "--json")))
    assert [c["headline"] for c in shown["plan"]["cards"]] == [c["headline"] for c in plan["cards"]]
    manifest = as_json(ok(cli(cn_stack, "show", set_id, "--manifest", "--json")))
    assert manifest["kind"] == "card-news-set" and manifest["jobId"] == job["jobId"]

    zip_path = tmp_path / "out" / "set.zip"
    exported = as_json(ok(cli(cn_stack, "export", set_id, "-o", str(zip_path), "--json")))
    assert exported == {"ok": True, "setId": set_id, "path": str(zip_path), "bytes": zip_path.stat().st_size}
    with zipfile.ZipFile(zip_path) as archive:
        assert sorted(archive.namelist()) == sorted(
            ["manifest.json", *(c["imageFilename"] for c in job["cards"])]
        )
        first = job["cards"][0]["imageFilename"]
        assert archive.read(first) == (folder / first).read_bytes()
    plain = ok(cli(cn_stack, "export", set_id, cwd=tmp_path))
    assert plain.stdout.strip() == f"{set_id}.zip" and zipfile.is_zipfile(tmp_path / f"{set_id}.zip")

    edited = as_json(
        ok(
            cli(
                cn_stack,
                "regenerate",
                "card_2",
                "--set",
                set_id,
                "--headline",
                "Brand new",
                "--visual-prompt",
                "a lighthouse at dawn",
                "--provider",
                "api",
                "--json",
            )
        )
    )
    assert edited["status"] == "done" and edited["jobId"] != job["jobId"]
    after = json.loads((folder / "manifest.json").read_text())
    card = next(c for c in after["cards"] if c["id"] == "card_2")
    assert card["headline"] == "Brand new" and card["status"] == "generated"
    assert after["jobIds"] == [job["jobId"], edited["jobId"]]


def test_partial_failure_retry_and_errors(cn_stack: RunningStack, tmp_path: Path) -> None:
    plan_file = tmp_path / "plan.json"
    ok(
        cli(
            cn_stack,
            "draft",
            "--topic",
            "Bikes",
            "--roles",
            "short-3",
            "--deterministic",
            "-o",
            str(plan_file),
        )
    )
    try:
        fault(cn_stack, **FAULT, status=401, count=1)  # one refused call: exactly one card fails
        failed_run = cli(cn_stack, "generate", str(plan_file), "--provider", "api", "--json")
    finally:
        clear_faults(cn_stack)
    assert failed_run.returncode == 1, failed_run.stderr
    job = as_json(failed_run)
    assert job["status"] == "partial" and (job["generated"], job["errors"]) == (2, 1)
    failed = next(c for c in job["cards"] if c["status"] == "error")
    assert failed["error"]["code"] == "AUTH_API_KEY_INVALID"

    assert_error(
        cli(cn_stack, "retry", job["jobId"], "--card", "card_99", "--json"),
        5,
        "CARD_NEWS_CARD_NOT_FOUND",
        404,
    )
    retried = as_json(ok(cli(cn_stack, "retry", job["jobId"], "--provider", "api", "--json")))
    assert retried["jobId"] == job["jobId"] and retried["status"] == "queued"

    def finished() -> dict[str, Any] | None:
        state: dict[str, Any] = as_json(ok(cli(cn_stack, "status", job["jobId"], "--json")))
        return state if state["status"] in ("done", "partial", "error") else None

    final = wait_for(finished, timeout=120, interval=0.5)
    assert final["status"] == "done" and final["generated"] == 3
    assert_error(cli(cn_stack, "retry", job["jobId"], "--json"), 5, "CARD_NEWS_NOTHING_TO_RETRY", 409)

    # one job at a time per set: the second starts once the first has ended
    started = as_json(ok(cli(cn_stack, "generate", str(plan_file), "--provider", "api", "--async", "--json")))
    assert started["jobId"].startswith("cj_") and started["status"] == "queued"
    wait_for(lambda: finished_job(cn_stack, started["jobId"]), timeout=120, interval=0.5)
    quiet = ok(cli(cn_stack, "generate", str(plan_file), "--async", "--provider", "api", "--quiet"))
    job_id = quiet.stdout.strip()
    assert job_id.startswith("cj_") and job_id != started["jobId"]
    wait_for(lambda: finished_job(cn_stack, job_id), timeout=120, interval=0.5)

    assert_error(cli(cn_stack, "status", "cj_nope", "--json"), 5, "CARD_NEWS_JOB_NOT_FOUND", 404)
    assert_error(
        cli(cn_stack, "export", "cs_nothing_here", "-o", str(tmp_path / "x.zip"), "--json"),
        5,
        "CARD_NEWS_SET_NOT_FOUND",
        404,
    )
    assert not (tmp_path / "x.zip").exists()
    (tmp_path / "bad.json").write_text("{}")
    assert_error(cli(cn_stack, "generate", str(tmp_path / "bad.json"), "--json"), 2, "USAGE")


def finished_job(stack: RunningStack, job_id: str) -> bool:
    state = httpx.get(f"{stack.url}/api/cardnews/jobs/{job_id}", timeout=10).json()
    return state["status"] in ("done", "partial", "error")
