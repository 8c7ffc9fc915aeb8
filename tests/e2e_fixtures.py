"""Fixtures shared by the browser test modules (tests/test_e2e_*.py): one headless Chromium per module.

Needs Debian's /usr/bin/chromium (never `playwright install`). Without it the tests are skipped, unless
BAOLIAN_REQUIRE_BROWSER=1 (set by CI), which makes them fail.
"""

from __future__ import annotations

import os

import pytest

from .e2e_server import CHROMIUM, CHROMIUM_ARGS


def no_browser(reason: str):
    if os.environ.get("BAOLIAN_REQUIRE_BROWSER") == "1":
        pytest.fail(f"browser tests are required here (BAOLIAN_REQUIRE_BROWSER=1) but {reason}", pytrace=False)
    pytest.skip(f"browser tests skipped: {reason}")


@pytest.fixture(scope="module")
def chromium():
    if not CHROMIUM.exists():
        no_browser(f"{CHROMIUM} is missing (apt-get install chromium fonts-noto-cjk)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        no_browser(f"Playwright is not installed ({exc}; pip install -e '.[test]')")
    with sync_playwright() as pw:
        try:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        except Exception as exc:  # noqa: BLE001 - any launch failure means "no usable browser"
            no_browser(f"{CHROMIUM} did not start: {exc}")
        yield browser
        browser.close()
