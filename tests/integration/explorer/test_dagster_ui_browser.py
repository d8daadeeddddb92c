"""What open-source Dagster shows of our lineage: the asset page of a real ``dagster-webserver``.

Open-source Dagster hides ``dagster/column_lineage`` (its column graph is a Dagster+ feature), so
the definition carries a Markdown "Column lineage" table; this test opens the example's
``fct_orders`` page in a real browser and reads it there, with the link to the explorer.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser import chromium, save_screenshot

try:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
except ImportError:  # the test skips (tests.browser.chromium) without playwright
    PlaywrightTimeout = TimeoutError  # type: ignore[misc,assignment]

ROOT = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent
EXPLORER = "http://127.0.0.1:8765"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def webserver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    state = tmp_path_factory.mktemp("example_state")
    (state / "dagster_home").mkdir()
    env = dict(os.environ)
    env.update(
        DAGSTER_LINEAGE_EXAMPLE_STATE=str(state),
        DAGSTER_HOME=str(state / "dagster_home"),
        DAGSTER_LINEAGE_EXPLORER_URL=EXPLORER,
        PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}",
    )
    port = _free_port()
    log = (state / "webserver.log").open("w")
    proc = subprocess.Popen(
        [str(BIN / "dagster-webserver"), "-m", "example_project.definitions"]
        + ["-h", "127.0.0.1", "-p", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 600
        while True:
            try:
                with urllib.request.urlopen(f"{url}/server_info", timeout=5):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(
                        f"dagster-webserver did not start: {(state / 'webserver.log').read_text()[-2000:]}"
                    )
                time.sleep(1)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=60)
        log.close()


def test_asset_page_shows_the_markdown_column_lineage(webserver: str, tmp_path: Path) -> None:
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1500, "height": 1400})
        page.goto(f"{webserver}/assets/fct_orders", timeout=120_000)
        # the code location loads in the webserver's subprocess: wait for the definition's entry
        page.get_by_text("Column lineage", exact=True).first.wait_for(timeout=180_000)
        try:  # the first-visit newsletter dialog, when Dagster shows it
            page.get_by_role("button", name="Skip").first.click(timeout=10_000)
        except PlaywrightTimeout:
            pass
        table = page.locator("table", has_text="stg_orders.order_total").first
        table.wait_for(timeout=30_000)
        text = table.inner_text()
        assert "order_total" in text and "(identity)" in text
        assert "stg_orders.legacy_discount_code" in text and "(transformation)" in text
        assert "stg_orders.status" in page.content()  # the columns only read (filter)
        link = page.locator(f"a[href^='{EXPLORER}/#asset=fct_orders']").first
        link.wait_for(timeout=30_000)
        table.scroll_into_view_if_needed()
        save_screenshot(page, "dagster-ui-column-lineage.png", tmp_path)
