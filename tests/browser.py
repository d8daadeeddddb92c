"""A real headless Chromium for the browser tests: Playwright for Python driving Debian's chromium.

``playwright install`` downloads its own browser builds, which cannot work here; the tests use the
system ``chromium`` (``apt-get install chromium``; ``scripts/bootstrap.sh`` installs it) and skip
with a message saying so only when neither Playwright nor a chromium can be found.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = ROOT / "docs" / "images"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def chromium_path() -> str | None:
    """The system chromium (``$CHROMIUM`` overrides), or ``None``."""
    for candidate in (os.environ.get("CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium")):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


@contextmanager
def chromium() -> Iterator[Any]:
    """A launched Playwright ``Browser`` (skips the test when none can be had)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed: pip install -e '.[dev]'")
    path = chromium_path()
    if path is None:
        pytest.skip("no chromium found: apt-get install chromium (scripts/bootstrap.sh does)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path, args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


def save_screenshot(page: Any, name: str, tmp_dir: Path) -> Path:
    """Screenshot ``page`` into ``tmp_dir``; also into docs/images when ``UPDATE_SCREENSHOTS=1``."""
    out = tmp_dir / name
    page.screenshot(path=str(out))
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(out, SCREENSHOTS / name)
    assert out.stat().st_size > 10_000  # a real picture, not a blank page
    return out
