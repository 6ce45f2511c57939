"""The one Chromium this project drives: Debian's, never a downloaded one. Shared by the browser
tests and docs/screenshots/take_screenshots.py."""

from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_MISSING = f"Chromium not found at {CHROMIUM}; apt-get install chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    # No phoning home: the machine has no internet, and a stalled request slows every launch.
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


def launch(playwright):
    return playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
    )
