"""The nightly report of the shared synthetic company, opened in headless Chromium.

Chromium and its driver are Debian's (`chromium`, `chromium-driver`); the session fixture
installs them with apt-get when they are missing and we are root. The screenshot is saved
under tests/artifacts/ (git-ignored) and its path printed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from thinline.report.sections import SECTIONS
from thinline.report.server import report_server, server_url

pytestmark = pytest.mark.integration

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"

# Per chart: its svgs; its marks and how many data values should have one; how many marks
# have an area. Bar charts: plotly draws a bar for every value, flat for zero or null.
# Heatmaps: one image, and a label for every cell with a value.
CHART_MARKS_JS = """
const area = box => box.width > 0 && box.height > 0;
return [...document.querySelectorAll('div.plotly-graph-div')].map(div => {
    const svgs = div.querySelectorAll('svg.main-svg').length;
    if (div.data[0].type === 'heatmap') {
        const cells = div.data[0].z.flat().filter(value => value !== null);
        return {
            id: div.id,
            svgs: svgs,
            marks: div.querySelectorAll('.heatmaplayer .heatmap-label text').length,
            values: cells.length,
            visible_marks: [...div.querySelectorAll('.heatmaplayer image')]
                .filter(image => area(image.getBBox())).length,
        };
    }
    const boxes = [...div.querySelectorAll('.cartesianlayer .trace .point path')]
        .filter(path => path.getAttribute('d'))
        .map(path => path.getBBox());
    return {
        id: div.id,
        svgs: svgs,
        marks: boxes.filter(box => box.width > 0 || box.height > 0).length,
        values: div.data.reduce((count, trace) => count + Array.from(
            trace.type === 'funnel' || trace.orientation === 'h' ? trace.x : trace.y
        ).length, 0),
        visible_marks: boxes.filter(area).length,
    };
});
"""


def _install_chromium() -> str | None:
    """Install Debian's chromium and chromedriver; return why not, or None when done."""
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        return "Chromium is not installed and we cannot apt-get it (not root, or no apt-get)"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (
        ["apt-get", "update"],
        ["apt-get", "install", "-y", "--no-install-recommends", "chromium", "chromium-driver"],
    ):
        result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            return f"apt-get could not install Chromium: {result.stderr.strip()[-300:]}"
    return None


@pytest.fixture(scope="session")
def chromium() -> None:
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        why_not = _install_chromium()
        if why_not:
            pytest.skip(why_not)


@pytest.fixture
def served_report(published_company: dict) -> Iterator[str]:
    server = report_server(published_company["home"] / "site", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server_url(server)
    server.shutdown()
    server.server_close()


@pytest.fixture
def browser(chromium: None) -> Iterator:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1400,900"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


def test_report_renders_every_chart_without_console_errors(served_report: str, browser) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(served_report)
    expected = {
        f"chart-{chart.chart_id}"
        for section in SECTIONS
        for chart in section.charts
        if chart.draw is not None
    }
    WebDriverWait(browser, 20).until(
        lambda driver: (
            len(driver.find_elements("css selector", "div.plotly-graph-div svg")) >= len(expected)
        )
    )
    rendered = {chart["id"]: chart for chart in browser.execute_script(CHART_MARKS_JS)}

    # The full synthetic company has every table: every section shows its charts, no notes.
    assert browser.find_elements("css selector", ".note.missing") == []
    assert set(rendered) == expected
    for chart_id, chart in rendered.items():
        assert chart["svgs"] >= 1, chart_id
        assert chart["marks"] == chart["values"], chart_id  # a mark for every value
        assert chart["visible_marks"] > 0, f"{chart_id} shows nothing"

    errors = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert errors == []

    # The dbt docs (lineage) and the GX Data Docs are built by the run and linked.
    for href in ("dbt_docs/index.html", "data_docs/index.html"):
        assert browser.find_elements("css selector", f'header a[href="{href}"]'), href
        assert httpx.get(served_report.replace("index.html", href), timeout=10).status_code == 200

    ARTIFACTS.mkdir(exist_ok=True)
    height = browser.execute_script("return document.documentElement.scrollHeight")
    browser.set_window_size(1400, min(height, 16000))
    screenshot = ARTIFACTS / "report.png"
    assert browser.save_screenshot(str(screenshot))
    print(f"report screenshot: {screenshot}")


def test_run_ends_with_the_report_path(published_company: dict) -> None:
    index = Path(published_company["home"]).resolve() / "site" / "index.html"
    assert (
        f"report       : {index}   (serve it: thinline report open)"
        in (published_company["output"])
    )
    assert index.is_file()
