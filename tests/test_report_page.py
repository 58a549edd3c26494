"""The report page: written by ``clinicops report``, self-contained, and drawn by a real browser
with no network: every section's chart rendered, no console error, a screenshot kept, and a
printed PDF that holds every section."""

from __future__ import annotations

import base64
import io
import json
import os
import re
import unicodedata
from pathlib import Path

import pytest
from click.testing import CliRunner

from clinicops.core.cli import cli

from . import browser
from .test_report_figures import fixed_practice

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = Path(os.environ.get("CLINICOPS_TEST_ARTIFACTS", ROOT / "build" / "test-artifacts"))


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    folder = fixed_practice(tmp_path_factory.mktemp("page"))
    out = folder / "report.html"
    args = ["report", "-p", str(folder), "--from", "2026-03-01", "--to", "2026-03-31", "--out", str(out), "--json"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    return out, json.loads(result.output)


def test_the_command_writes_the_page_and_prints_its_figures_as_one_object(page: tuple[Path, dict]) -> None:
    out, found = page
    assert found["period"] == {"from": "2026-03-01", "to": "2026-03-31"} and found["page"] == str(out)
    assert found["figures"]["billing.days_in_ar"] == 70.4
    assert found["sections"][0]["key"] == "reminders.appointments"
    duties = {"schedule.flow", "feedback.satisfaction", "budget.actual", "equipment.upkeep"}
    assert duties <= {s["key"] for s in found["sections"]}  # the back-office plugins' sections


def test_the_page_needs_nothing_from_elsewhere_and_names_no_patient(page: tuple[Path, dict]) -> None:
    html = page[0].read_text(encoding="utf-8")
    assert "<script" not in html and not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "@import" not in html and not re.search(r"url\((?!#)", html)  # only references inside the page
    assert "Katherine" not in html and "Johnson" not in html
    assert html.count("<svg") == sum(len(s["charts"]) for s in page[1]["sections"])
    assert "70.4 days" in html and "A/R total (balances of submitted" in html  # a figure and its footnote


def test_a_bad_period_is_one_sentence(tmp_path: Path) -> None:
    folder = fixed_practice(tmp_path)
    result = CliRunner().invoke(cli, ["report", "-p", str(folder), "--from", "2026-04-01", "--to", "2026-03-01"])
    assert result.exit_code == 2 and "ends (2026-03-01) before it starts" in result.output


@pytest.mark.skipif(
    not browser.available(), reason="needs Debian's chromium and chromium-driver (.ci/run installs them)"
)
def test_chromium_draws_every_section_offline_and_prints_it(page: tuple[Path, dict]) -> None:
    from pypdf import PdfReader
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.print_page_options import PrintOptions

    out, found = page
    with browser.chromium() as driver:
        driver.get(out.as_uri())
        sections = driver.find_elements(By.CSS_SELECTOR, "section.report-section")
        assert [s.get_attribute("id") for s in sections] == [s["key"] for s in found["sections"]]
        for section in sections:
            charts = section.find_elements(By.CSS_SELECTOR, "figure.chart svg")
            assert charts, f"{section.get_attribute('id')} has no chart"
            for svg in charts:
                assert svg.size["width"] > 200 and svg.size["height"] > 80
                assert svg.find_elements(By.CSS_SELECTOR, "path, text, use")
        widths = driver.execute_script("return [window.innerWidth, document.documentElement.scrollWidth]")
        assert widths == [390, 390], "the page scrolls sideways on a phone"
        errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
        assert errors == []
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        assert driver.save_screenshot(str(ARTIFACTS / "report-phone.png"))
        pdf = base64.b64decode(driver.print_page(PrintOptions()))
    (ARTIFACTS / "report.pdf").write_bytes(pdf)
    # NFKC: the PDF's text may carry the font's ligatures ("ﬂ" for "fl").
    text = unicodedata.normalize("NFKC", " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages))
    for section in found["sections"]:
        assert section["title"] in text, f"the printed report lacks {section['title']}"
