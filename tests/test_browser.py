"""The dashboard and a transplant report, opened in a real browser: headless Chromium (Debian's
``chromium`` and ``chromium-driver``, which ``scripts/test.sh`` installs) driven by selenium, with
JavaScript switched off, since the pages must be readable without it.

It checks that the figures render (a figure's box has a size, its marks are drawn), that every link
resolves (each anchor to an element of the page, each report link to a page that opens), and keeps a
screenshot of each page as an artefact (``$GRAFTKG_ARTEFACTS``, else ``tests/artefacts/``).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from graftkg import Engine
from graftkg.cli import main
from graftkg.readers import read_inputs
from graftkg.readers.csv_bundle import write_bundle_records
from graftkg.reporting.acknowledgements import (
    Acknowledgement,
    Acknowledgements,
    finding_key,
    write_acknowledgements,
)
from graftkg.synthetic import write_bundle
from graftkg.synthetic.mutate import inject
from graftkg.validation.shacl import load_shapes
from graftkg.validation.validate import refused_rules

from conftest import EXAMPLES, ROOT

pytestmark = pytest.mark.browser

ARTEFACTS = Path(os.environ.get("GRAFTKG_ARTEFACTS") or ROOT / "tests" / "artefacts")


def _browser_or_skip() -> tuple[str, str]:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if chromium and driver:
        return chromium, driver
    if os.environ.get("GRAFTKG_REQUIRE_SERVERS"):
        raise AssertionError(
            "Chromium and chromedriver are required (GRAFTKG_REQUIRE_SERVERS is set): apt-get "
            "install chromium chromium-driver"
        )
    pytest.skip("no Chromium and chromedriver on this machine (scripts/test.sh installs them)")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    chromium, driver = _browser_or_skip()
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = chromium
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1280,1000",
        "--disable-background-networking",
        "--no-first-run",
    ):
        options.add_argument(arg)
    # the pages must work without script: switch it off
    options.add_experimental_option("prefs", {"profile.managed_default_content_settings.javascript": 2})
    web = webdriver.Chrome(options=options, service=Service(executable_path=driver))  # a given driver: no download
    web.set_page_load_timeout(60)
    try:
        yield web
    finally:
        web.quit()


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A reviewed submission: 250 synthetic transplants, errors injected into one in ten, one finding
    acknowledged, compared with the same submission before the errors."""
    root = tmp_path_factory.mktemp("browser")
    clean = write_bundle(root / "clean", n=250, seed=21)
    records = read_inputs([clean], lenient=True)
    inject(records, 0.1, seed=21)
    bad = write_bundle_records(records, root / "bad")
    acks = root / "acks.ttl"
    shapes = load_shapes()
    finding = next(f for f in Engine().validate(bad).findings if f.rule not in refused_rules(shapes))
    write_acknowledgements(
        acks,
        Acknowledgements([Acknowledgement(*finding_key(finding), "not_collected", "", "A. Reviewer", "2026-12-06")]),
    )
    out = root / "dash"
    main(["review", str(bad), "--previous", str(clean), "--acknowledgements", str(acks), "--output", str(out)])
    return out


def _shot(web: Any, name: str) -> Path:
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    height = web.find_element("tag name", "body").size["height"]
    web.set_window_size(1280, min(max(height + 40, 800), 12000))
    path = ARTEFACTS / name
    assert web.save_screenshot(str(path)) and path.stat().st_size > 10_000
    web.set_window_size(1280, 1000)
    return path


def _rendered(element: Any) -> bool:
    size = element.size
    return bool(element.is_displayed() and size["width"] > 0 and size["height"] > 0)


def test_the_dashboard_renders_its_figures_and_every_link_resolves(browser: Any, dashboard: Path) -> None:
    index = dashboard / "index.html"
    browser.get(index.as_uri())
    assert browser.title.startswith("Submission review:")
    assert browser.find_element("css selector", "p.use").text.startswith("Intended use.")
    # the figures: each drawn with its marks
    recovery = browser.find_elements("css selector", "svg.figure-recovery")
    assert {f.get_attribute("data-lineage") for f in recovery} == {"neutrophil", "platelet"}
    for figure in recovery:
        assert _rendered(figure)
        bars = figure.find_elements("css selector", "rect.bar")
        assert bars and sum(1 for b in bars[:50] if b.size["height"] > 0) > 0
    chimerism = browser.find_element("css selector", "svg.figure-chimerism")
    assert _rendered(chimerism) and len(chimerism.find_elements("tag name", "circle")) > 10
    incidence = browser.find_element("css selector", "svg.figure-incidence")
    assert _rendered(incidence) and incidence.find_elements("tag name", "circle")
    # the checks: the failing ones shown, the others folded away without script
    failing = browser.find_elements("css selector", "#checks-failing + table tr.check")
    assert failing and all(r.find_element("css selector", "td").text == "fail" for r in failing)
    assert not browser.find_element("css selector", "#checks-all table").is_displayed()
    browser.find_element("css selector", "#checks-all summary").click()  # <details> opens without script
    assert browser.find_element("css selector", "#checks-all table").is_displayed()
    assert browser.find_elements("css selector", "td.ack")  # the acknowledged finding is shown as such
    assert browser.find_element("id", "history").is_displayed()
    _shot(browser, "dashboard.png")
    # every link: an anchor names an element of the page, a file opens
    anchors, files = set(), set()
    for link in browser.find_elements("css selector", "a[href]"):
        href = link.get_attribute("href") or ""
        target = href.split("#", 1)
        if target[0] == index.as_uri() and len(target) == 2:
            anchors.add(target[1])
        else:
            files.add(href)
    assert anchors and files
    for anchor in sorted(anchors):
        assert browser.find_elements("id", anchor), anchor
    for href in sorted(files):
        assert href.startswith(dashboard.as_uri()), href  # nothing outside the dashboard's folder
        assert Path(href.removeprefix("file://")).is_file(), href
    for href in sorted(f for f in files if "/reports/" in f)[:25]:
        browser.get(href)
        assert browser.title.startswith("Transplant "), href


def _report_page(tmp_path: Path, tid: str) -> Path:
    page = tmp_path / f"{tid}.html"
    assert (
        main(
            [
                "report",
                str(EXAMPLES / "paper-patients" / "csv"),
                "--transplant",
                tid,
                "--format",
                "html",
                "--output",
                str(page),
            ]
        )
        == 0
    )
    return page


def test_a_report_renders_in_the_browser(browser: Any, tmp_path: Path) -> None:
    browser.get(_report_page(tmp_path, "P1-T1").as_uri())
    assert browser.title == "Transplant P1-T1"
    facts = browser.find_element("css selector", "table.facts").text
    assert "CD34+ cell dose (10^6/kg)" in facts and "cd34_dose" not in facts and "None" not in facts
    meta = browser.find_element("css selector", "p.meta").text
    assert meta.startswith("graftkg ") and "ontology " in meta and "made " in meta
    contraindications = browser.find_element("id", "contraindications")
    recommendations = browser.find_element("id", "recommendations")
    assert contraindications.location["y"] < recommendations.location["y"]
    _shot(browser, "report-P1-T1.png")
    # patient 4, followed to day 1,095
    browser.get(_report_page(tmp_path, "P4-T1").as_uri())
    plot = browser.find_element("css selector", "figure svg")
    assert _rendered(plot)
    panels = {g.get_attribute("data-measure"): g for g in plot.find_elements("css selector", "g.panel")}
    assert set(panels) == {"ANC", "PLT", "donor_chimerism_pct"}
    points = panels["donor_chimerism_pct"].find_elements("tag name", "circle")
    assert points and all(p.size["width"] >= 6 for p in points)  # each point drawn large enough to see
    # the first three months take most of the width: the ANC points up to day 90 spread over it
    xs = [p.location["x"] for p in panels["ANC"].find_elements("tag name", "circle")]
    assert max(xs[:-1]) - min(xs) > 0.6 * plot.size["width"]
    _shot(browser, "report-P4-T1.png")
