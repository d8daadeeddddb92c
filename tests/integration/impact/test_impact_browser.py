"""The impact verdicts where Dagster users look: run pages and the runs list of a real webserver.

Two runs of the story's impact job go through ``dagster job execute`` into a real instance: a
breaking change (the policy blocks) and a type change (warnings only). A headless Chromium then
opens them in ``dagster-webserver``: the breaking run shows the one-line verdict and no stack
trace, the warnings-only run a WARN check, and the runs list filters on the verdict tags.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import pytest

from tests.browser import chromium, save_screenshot

try:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
except ImportError:  # the test skips (tests.browser.chromium) without playwright
    PlaywrightTimeout = TimeoutError  # type: ignore[misc,assignment]

ROOT = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent
LOCATION = ROOT / "tests" / "fixtures" / "impact" / "location" / "impact_ui_defs.py"
JOB = "raw_orders_impact_check_job"
BREAKING = [
    {"type": "column_rename", "from": "order_total", "to": "total_amount"},
    {"type": "column_drop", "column": "legacy_discount_code"},
]
WARNINGS_ONLY = [{"type": "column_type_change", "column": "status", "data_type": "integer"}]


@dataclass(frozen=True)
class Ui:
    url: str
    blocked_run: str
    warned_run: str


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _execute(changes: list[dict[str, str]], tmp: Path, env: dict[str, str]) -> None:
    config = tmp / f"run_{len(list(tmp.glob('run_*')))}.yaml"
    config.write_text(
        json.dumps(
            {"ops": {"impact_check": {"config": {"asset": "raw_orders", "changes": changes}}}}
        )
    )
    p = subprocess.run(
        [str(BIN / "dagster"), "job", "execute", "-f", str(LOCATION), "-j", JOB, "-c", str(config)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]


@pytest.fixture(scope="module")
def ui(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ui]:
    tmp = tmp_path_factory.mktemp("impact_ui")
    home = tmp / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    env = {**os.environ, "DAGSTER_HOME": str(home)}
    _execute(BREAKING, tmp, env)
    _execute(WARNINGS_ONLY, tmp, env)
    with dg.DagsterInstance.from_config(str(home)) as instance:
        runs = {
            r.dagster_run.tags["dagster-lineage/verdict"]: r.dagster_run.run_id
            for r in instance.get_run_records()
        }
    assert set(runs) == {"block", "warn"}

    port = _free_port()
    log = (tmp / "webserver.log").open("w")
    proc = subprocess.Popen(
        [str(BIN / "dagster-webserver"), "-f", str(LOCATION), "-h", "127.0.0.1", "-p", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300
        while True:
            try:
                with urllib.request.urlopen(f"{url}/server_info", timeout=5):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(
                        f"dagster-webserver did not start: {(tmp / 'webserver.log').read_text()[-2000:]}"
                    )
                time.sleep(1)
        yield Ui(url=url, blocked_run=runs["block"], warned_run=runs["warn"])
    finally:
        proc.terminate()
        proc.wait(timeout=60)
        log.close()


def _skip_newsletter(page) -> None:  # noqa: ANN001
    try:  # the first-visit dialog, when Dagster shows it
        page.get_by_role("button", name="Skip").first.click(timeout=5_000)
    except PlaywrightTimeout:
        pass


def _open_run(page, ui: Ui, run_id: str):  # noqa: ANN001, ANN202
    page.goto(f"{ui.url}/runs/{run_id}", timeout=120_000)
    row = page.get_by_text("Check impact_check failed for materialization of raw_orders").first
    row.wait_for(timeout=180_000)
    page.get_by_text("RUN_SUCCESS").first.wait_for(timeout=60_000)  # every event has loaded
    _skip_newsletter(page)
    return row


def test_breaking_run_shows_the_one_line_verdict_and_no_stack_trace(ui: Ui, tmp_path: Path) -> None:
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1500, "height": 1200})
        row = _open_run(page, ui, ui.blocked_run)
        verdict = page.get_by_text("Schema change to raw_orders is breaking (risk HIGH)").first
        verdict.wait_for(timeout=30_000)
        text = page.inner_text("body")
        assert "policy: block (default for a critical asset" in text
        assert "ERROR" in text  # the check's severity, and the verdict logged at ERROR level
        # an expected verdict is not a crash: no step failure, no stack trace, no class prefix
        for crash in ("Stack Trace", "Traceback", "STEP_FAILURE", "dagster._core", "Failure:"):
            assert crash not in text, crash
        row.scroll_into_view_if_needed()
        save_screenshot(page, "dagster-ui-impact-verdict.png", tmp_path)


def test_warnings_only_run_shows_a_warn_check(ui: Ui) -> None:
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1500, "height": 1200})
        _open_run(page, ui, ui.warned_run)
        page.get_by_text("Schema change to raw_orders breaks nothing (risk LOW)").first.wait_for(
            timeout=30_000
        )
        check = page.locator("div", has_text="Check impact_check failed").last
        assert check.is_visible()
        text = page.inner_text("body")
        assert "WARN" in text and "WARNING" in text  # the check's severity, the log level
        assert "Stack Trace" not in text and "STEP_FAILURE" not in text


def test_the_runs_list_filters_on_the_verdict_and_risk_tags(ui: Ui) -> None:
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1500, "height": 1000})
        for tag, shown, hidden in (
            ("dagster-lineage/verdict=block", ui.blocked_run, ui.warned_run),
            ("dagster-lineage/risk=low", ui.warned_run, ui.blocked_run),
        ):
            query = urllib.parse.quote(f"tag:{tag}")
            page.goto(f"{ui.url}/runs?q%5B0%5D={query}", timeout=120_000)
            page.get_by_text(shown[:8], exact=True).first.wait_for(timeout=120_000)
            _skip_newsletter(page)
            assert page.get_by_text(hidden[:8], exact=True).count() == 0
            assert "dagster-lineage/asset: raw_orders" in page.inner_text("body")
