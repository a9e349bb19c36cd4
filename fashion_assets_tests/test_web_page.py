"""The web page in headless Chromium (Debian's chromium + chromedriver, installed by
`make test`): search, filters, result images, the item view with similar items and the
recommendation, and an image upload."""

import shutil

import pytest
from PIL import Image
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import Select, WebDriverWait

from fashion_assets.settings import Settings
from fashion_assets_tests.serving_fixtures import running
from serving.app import create_app


@pytest.fixture(scope="module")
def site(catalogue):
    env = catalogue
    settings = Settings(database_url=env["DATABASE_URL"], fashion_home=env["FASHION_HOME"])
    with running(create_app(settings=settings)) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    assert chromium and driver, "make test installs Debian's chromium and chromium-driver"
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--window-size=1280,1000",
    ):
        options.add_argument(flag)
    with webdriver.Chrome(service=Service(driver), options=options) as chrome:
        yield chrome


def wait(browser, condition, seconds=20):
    return WebDriverWait(browser, seconds).until(condition)


def cards(browser, container):
    return browser.find_elements(By.CSS_SELECTOR, f"#{container} .card")


def test_search_filter_open_an_item_and_upload(site, browser, tmp_path):
    browser.get(site)
    assert browser.title == "fashion_assets"
    wait(browser, lambda b: len(Select(b.find_element(By.ID, "f-season")).options) > 1)
    browser.find_element(By.ID, "query").send_keys("winter coat")
    Select(browser.find_element(By.ID, "f-season")).select_by_value("winter")
    browser.find_element(By.ID, "search").click()
    wait(browser, lambda b: len(cards(b, "results")) > 0)
    results = cards(browser, "results")
    assert all("winter" in c.find_element(By.CSS_SELECTOR, ".meta").text for c in results)
    wait(browser, lambda b: b.execute_script(
        "return [...document.querySelectorAll('#results img')].slice(0, 4).every(i => i.complete && i.naturalWidth > 0)"))  # fmt: skip

    first_id = results[0].get_attribute("data-item-id")
    first_title = results[0].find_element(By.CSS_SELECTOR, ".title").text
    results[0].click()
    wait(browser, ec.visibility_of_element_located((By.ID, "item")))
    wait(browser, lambda b: len(cards(b, "similar")) > 0)
    wait(browser, lambda b: b.find_element(By.ID, "generator").text == "by rules")
    assert browser.find_element(By.ID, "item-title").text == first_title
    assert browser.find_element(By.ID, "recommendation").text.strip()
    assert first_id not in [c.get_attribute("data-item-id") for c in cards(browser, "similar")]

    picture = tmp_path / "look.png"
    Image.new("RGB", (120, 160), (20, 20, 20)).save(picture)
    browser.find_element(By.ID, "upload").send_keys(str(picture))
    wait(
        browser,
        lambda b: len(cards(b, "results")) > 0 and b.find_element(By.ID, "status").text == "",
    )


def test_errors_show_on_the_page(site, browser):
    browser.get(site)
    browser.find_element(By.ID, "search").click()
    wait(browser, lambda b: "type something" in b.find_element(By.ID, "status").text)


def chips(browser) -> dict[str, str]:
    """The chips shown, read in one script call (the page re-renders them on every search)."""
    return browser.execute_script(
        "return Object.fromEntries([...document.querySelectorAll('#chips .chip')]"
        ".map(c => [c.dataset.field, c.textContent]))")  # fmt: skip


def result_metas(browser) -> list[str]:
    return browser.execute_script(
        "return [...document.querySelectorAll('#results .card .meta')].map(m => m.textContent)"
    )


def test_understood_filters_show_as_chips_a_shopper_can_remove(site, browser):
    browser.get(site)
    wait(browser, lambda b: len(Select(b.find_element(By.ID, "f-season")).options) > 1)
    browser.find_element(By.ID, "query").send_keys("블랙 겨울 코트")
    browser.find_element(By.ID, "search").click()
    wait(browser, lambda b: set(chips(b)) == {"category", "season", "color"})
    assert "블랙" in chips(browser)["color"] and "Black" in chips(browser)["color"]
    metas = result_metas(browser)
    assert metas and all(m.startswith("01outer_01coat · Black · winter") for m in metas)

    browser.execute_script(
        "document.querySelector('#chips .chip[data-field=\"color\"] button').click()"
    )
    wait(browser, lambda b: set(chips(b)) == {"category", "season"}
         and len(result_metas(b)) > len(metas))  # fmt: skip
    metas = result_metas(browser)
    assert all(m.startswith("01outer_01coat") and "winter" in m for m in metas)
    assert {m.split(" · ")[1] for m in metas} > {"Black"}
