"""Headless Chromium (Debian's ``chromium`` and ``chromium-driver``, installed by ``.ci/run``) through
selenium, with every network request refused: pages are opened from disk, as a manager opens
a report attached to an email."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

CHROMIUM = "/usr/bin/chromium"
DRIVER = "/usr/bin/chromedriver"


def available() -> bool:
    return shutil.which(CHROMIUM) is not None and shutil.which(DRIVER) is not None


@contextmanager
def chromium(width: int = 390, height: int = 844) -> Iterator[Any]:
    """A headless browser showing pages as a phone of this size does; any request off this machine fails."""
    from selenium import webdriver

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--proxy-server=http://127.0.0.1:9",  # the discard port: nothing answers there
        "--proxy-bypass-list=<-loopback>",
        "--host-resolver-rules=MAP * ~NOTFOUND",
    ):
        options.add_argument(arg)
    options.add_experimental_option(
        "mobileEmulation", {"deviceMetrics": {"width": width, "height": height, "pixelRatio": 2}}
    )
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(DRIVER))
    try:
        driver.set_network_conditions(offline=True, latency=0, download_throughput=0, upload_throughput=0)
        yield driver
    finally:
        driver.quit()
