"""The audience builder in a real headless browser (Debian's chromium, driven by Playwright) against the real suite.

A marketer signs in with the workspace's auth token, builds the product page's "viewed a product over a price but
did not order" audience on screen while the preview size follows, saves it, watches it become ready with the right
members, and looks one of them up in the profile viewer; a bad choice is explained next to its field; a stopped
gateway is announced. Events are sent through the API first, as an app would.

Screenshots of the main screens go to a temporary folder, or to `CDP_SCREENSHOTS` when set: `make screenshots`
writes the README's into docs/screenshots/.
"""

import asyncio
import os
import re
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import BrowserContext, Locator, Page, Route, async_playwright, expect

from tests.conftest import Tenant
from tests.e2e.conftest import Api, ago, track
from tests.e2e.test_audiences_seed import VIEWED_NOT_ORDERED
from tools.suite import Endpoints, Suite

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
LAPTOP = {"width": 1280, "height": 860}
PHONE = {"width": 390, "height": 844}
# Waits on the page: a backfill on the embedded store takes a few seconds.
SLOW = 30_000


@pytest.fixture(scope="session")
async def browser(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[BrowserContext]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium); "
                    ".ci/run installs it", pytrace=False)
    async with async_playwright() as playwright:
        context = await playwright.chromium.launch_persistent_context(
            tmp_path_factory.mktemp("chromium-profile"), executable_path=str(CHROMIUM), headless=True, args=ARGS,
            viewport=LAPTOP, timezone_id="UTC", locale="en-GB")
        yield context
        await context.close()


@pytest.fixture
async def page(browser: BrowserContext) -> AsyncIterator[Page]:
    opened = await browser.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    yield opened
    await opened.close()
    assert not errors, f"the page threw: {errors}"


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = Path(os.environ.get("CDP_SCREENSHOTS") or tmp_path_factory.mktemp("screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


async def sign_in(page: Page, gateway: str, tenant: Tenant) -> None:
    await page.goto(f"{gateway}/")  # `/` leads to the page
    await expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    await page.get_by_label("Workspace").fill(tenant.name)
    await page.get_by_label("Auth token").fill(tenant.token)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("heading", name="Audiences")).to_be_visible()


async def shot(page: Page, path: Path) -> None:
    """A full-page screenshot, taken from the top (a sticky panel otherwise shows where the page was scrolled)."""
    await page.evaluate("window.scrollTo(0, 0)")
    await page.screenshot(path=path, full_page=True)


def condition(page: Page, index: int) -> Locator:
    return page.locator("li.condition").nth(index)


async def expect_suggested(field: Locator, *values: str) -> None:
    """The text field offers these suggestions once focused (its datalist), as soon as the catalog has arrived:
    the page never waits for it."""
    await field.focus()
    list_id = await field.get_attribute("list")
    for value in values:
        await expect(field.page.locator(f"datalist#{list_id} option[value='{value}']")).to_have_count(1, timeout=SLOW)


async def expect_preview(page: Page, size: int) -> None:
    await expect(page.get_by_test_id("preview-size")).to_have_text(str(size), timeout=SLOW)


async def choose_event(block: Locator, name: str) -> None:
    await block.get_by_label("Event type").select_option("track")
    field = block.get_by_label("Event name")
    await field.fill(name)
    await field.press("Tab")


async def test_build_the_seed_audience_and_find_its_members(page: Page, api: Api, suite: Endpoints,
                                                            tenant: Tenant, screenshots: Path) -> None:
    await api.send(
        {"type": "identify", "userId": "viewer", "traits": {"email": "viewer@example.com", "plan": "pro"},
         "timestamp": ago(6), "messageId": str(uuid.uuid4())},
        track("viewer", "Product Viewed", 3, price=150, sku="TV-55"),
        track("two-views", "Product Viewed", 4, price=20),
        track("two-views", "Product Viewed", 2, price=101.5),
        track("cheap", "Product Viewed", 3, price=50),
        track("orderer", "Product Viewed", 5, price=150),
        track("orderer", "Order Completed", 2, revenue=150),
    )
    await sign_in(page, suite.gateway, tenant)
    await page.get_by_role("link", name="New audience").click()
    await expect(page.get_by_role("heading", name="New audience")).to_be_visible()
    await page.get_by_label("Name").fill("viewed expensive, never ordered")
    await expect_preview(page, 4)  # a new audience starts as "any activity": everyone active

    first = condition(page, 0)
    await first.get_by_label("Event type").select_option("track")
    names = first.get_by_label("Event name")
    await expect_suggested(names, "Product Viewed", "Order Completed")  # what the workspace sent
    await choose_event(first, "Product Viewed")
    await expect_preview(page, 4)
    await first.get_by_role("button", name="+ Property filter").click()
    price = first.get_by_label("Property")
    await expect_suggested(price, "price")
    await price.fill("price")
    await price.press("Tab")
    await first.get_by_label("Operator").select_option("gt")
    await expect(first.get_by_label("Value type")).to_have_value("number")  # price was sent as a number
    await first.get_by_label("Value", exact=True).fill("100")
    await expect_preview(page, 3)

    await page.get_by_role("button", name="+ Add condition").click()
    second = condition(page, 1)
    await expect(second.get_by_label("Mode")).to_be_focused()
    await second.get_by_label("Mode").select_option("not_required")
    await choose_event(second, "Order Completed")
    await expect_preview(page, 2)
    await expect(page.locator("aside .sample")).to_contain_text("viewer")
    await shot(page, screenshots / "builder.png")

    await page.get_by_role("button", name="Save audience").click()
    await expect(page.get_by_role("heading", name="viewed expensive, never ordered")).to_be_visible()
    await expect(page.locator(".status.ready")).to_be_visible(timeout=SLOW)
    await expect(page.get_by_test_id("size")).to_have_text("2")
    members = page.locator("table.list tbody")
    await expect(members).to_contain_text("viewer@example.com")
    await expect(members).to_contain_text("two-views")
    await expect(members.locator("tr")).to_have_count(2)
    await expect(page.locator(".chart figcaption")).to_contain_text("now 2")
    await shot(page, screenshots / "audience.png")

    # The definition the page saved is the product page's example, in the public format.
    [saved] = (await api.call("GET", "audiences"))["data"]  # the only one so far
    assert saved["conditions"] == VIEWED_NOT_ORDERED["conditions"]
    expected = {await api.profile_id("viewer"), await api.profile_id("two-views")}
    assert await api.members(saved["id"]) == expected

    # Two more, made through the API, so that the list shows several (a marketer's colleagues at work).
    await api.create("audiences", {"name": "active this week", "description": "Any activity in the last 7 days",
                                   "conditions": [{"mode": "required", "event": {
                                       "window": {"kind": "quick", "last": {"amount": 7, "unit": "days"}}}}]})
    await api.create("audiences", {"name": "pro plan", "conditions": [
        {"mode": "required", "trait": {"path": "plan", "op": "eq", "value": "pro"}}]})
    await page.get_by_role("link", name="Audiences").click()
    row = page.locator("tr", has_text="viewed expensive, never ordered")
    await expect(row.locator(".status.ready")).to_be_visible()
    await expect(row.locator("td.num")).to_have_text("2")
    await shot(page, screenshots / "audiences.png")

    # One of the members, in the profile viewer.
    await row.get_by_role("link").click()
    await page.locator("tr", has_text="viewer@example.com").get_by_role("link").click()
    await expect(page.get_by_role("heading", name="viewer", exact=True)).to_be_visible()
    await expect(page.locator(".chips")).to_contain_text("viewed expensive, never ordered")
    await expect(page.locator("dl.kv").nth(1)).to_contain_text("plan")
    events = page.locator("section", has=page.get_by_role("heading", name="Recent events"))
    await expect(events).to_contain_text("Product Viewed")
    history = page.locator("section", has=page.get_by_role("heading", name="Membership history"))
    await expect(history).to_contain_text("entered")
    await shot(page, screenshots / "profile.png")

    # The lookup takes an email too, typed as a marketer would.
    await page.get_by_role("link", name="Profiles").click()
    await page.get_by_label("Find a person").fill("email:VIEWER@example.com")
    await page.get_by_label("Find a person").press("Enter")
    await expect(page.get_by_role("heading", name="viewer", exact=True)).to_be_visible()


async def test_a_bad_choice_is_explained_next_to_its_field_and_nothing_is_saved(
        page: Page, api: Api, suite: Endpoints, tenant: Tenant, screenshots: Path) -> None:
    await api.send(track("someone", "Signed In", 40))
    await page.set_viewport_size(PHONE)  # a narrow screen, driven from the keyboard
    await sign_in(page, suite.gateway, tenant)
    await page.get_by_role("link", name="New audience").focus()
    await page.keyboard.press("Enter")
    await page.get_by_label("Name").fill("lapsed")
    await expect_preview(page, 1)

    first = condition(page, 0)
    await first.get_by_label("When").select_option("relative")
    await expect_preview(page, 1)  # from 90 to 30 days ago, the default
    start = first.get_by_label("From", exact=True)
    await start.fill("7")  # 7 days ago is not further back than 30
    window = first.locator(".window")
    await expect(window.locator("p.error")).to_have_text("from must be further back than to (e.g. from 90 to 30 days ago)",
                                                         timeout=SLOW)
    save = page.get_by_role("button", name="Save audience")
    await expect(save).to_be_disabled()
    await expect(page.locator("aside")).to_contain_text("Fix the highlighted field")
    assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    await shot(page, screenshots / "builder-error-narrow.png")

    # A value of the wrong type is caught as typed; a property filter's bad operand by the API, at its path.
    await start.fill("60")
    await expect(window.locator("p.error")).to_have_count(0)
    await expect_preview(page, 1)
    await first.get_by_role("button", name="+ Property filter").press("Enter")
    await expect(first.get_by_label("Property")).to_be_focused()
    await page.keyboard.type("plan")
    await first.get_by_label("Operator").select_option("contains")
    await first.get_by_label("Value type").select_option("number")
    await first.get_by_label("Value", exact=True).fill("abc")
    await expect(first.locator(".filter p.error")).to_have_text("Enter a number")
    await first.get_by_label("Value", exact=True).fill("3")
    await expect(first.locator(".filter p.error")).to_have_text("contains needs a string", timeout=SLOW)
    await expect(save).to_be_disabled()
    await first.get_by_label("Value type").select_option("string")
    await expect_preview(page, 0)
    await expect(save).to_be_enabled()
    assert (await api.call("GET", "audiences"))["data"] == []  # nothing was saved while it was invalid

    # A taken name is refused at save, next to the name.
    await api.create("audiences", {"name": "lapsed", "conditions": [{"mode": "required", "event": {}}]})
    await save.press("Enter")
    await expect(page.locator(".field.invalid p.error")).to_contain_text("is taken")


async def test_a_computed_trait_with_a_preview_of_its_values(page: Page, api: Api, suite: Endpoints,
                                                             tenant: Tenant, screenshots: Path) -> None:
    await api.send(track("ann", "Order Completed", 3, revenue=300), track("ann", "Order Completed", 1, revenue=250.5),
                   track("bob", "Order Completed", 2, revenue=80), track("cid", "Product Viewed", 1, price=10))
    await sign_in(page, suite.gateway, tenant)
    await page.get_by_role("link", name="Computed traits").click()
    await page.get_by_role("link", name="New computed trait").click()
    await page.get_by_label("Name").fill("total_revenue")
    await expect_preview(page, 3)  # counting every event: everyone has a value
    await page.get_by_label("Kind").select_option("sum")
    await choose_event(page.locator("form"), "Order Completed")
    await page.get_by_label("Property").fill("revenue")
    await expect_preview(page, 2)
    preview = page.locator("aside table")
    await expect(preview.locator("tr", has_text="ann")).to_contain_text("550.5")
    await expect(preview.locator("tr", has_text="bob")).to_contain_text("80")
    await page.get_by_label("When").select_option("quick")
    save = page.get_by_role("button", name="Save computed trait")
    await expect(save).to_be_enabled(timeout=SLOW)  # once the window's preview is in
    await expect(preview.locator("tr", has_text="ann")).to_contain_text("550.5")
    await shot(page, screenshots / "computed-trait.png")
    await save.click()
    row = page.locator("tr", has_text="total_revenue")
    await expect(row.locator(".status.ready")).to_be_visible(timeout=SLOW)
    await expect(row).to_contain_text("Sum of a property")

    # It is offered to audiences at once.
    await page.get_by_role("link", name="Audiences").click()
    await page.get_by_role("link", name="New audience").click()
    await condition(page, 0).get_by_label("Condition").select_option("computed_trait")
    await expect(condition(page, 0).get_by_label("Computed trait")).to_have_value("total_revenue")
    await condition(page, 0).get_by_label("Value", exact=True).fill("500")
    await expect_preview(page, 1)


async def test_an_unreachable_backend_is_announced(page: Page, suite: Endpoints, tenant: Tenant,
                                                   database: str) -> None:
    own = Suite(env={"MONGODB_URI": suite.mongodb_uri, "CDP_MONGODB_DATABASE": database})
    try:
        gateway = own.start_gateway(suite.replicas)
        await sign_in(page, gateway, tenant)
        banner = page.locator("#banner")
        await expect(banner).to_be_hidden()
        assert own.stop() == {"gateway": 0}
        await page.get_by_role("link", name="Computed traits").click()
        await expect(banner).to_be_visible()
        await expect(banner).to_contain_text("The backend is unreachable")
    finally:
        own.stop()


async def test_a_backend_service_down_is_named(page: Page, suite: Endpoints, tenant: Tenant, database: str) -> None:
    own = Suite(env={"MONGODB_URI": suite.mongodb_uri, "CDP_MONGODB_DATABASE": database})
    try:
        # A gateway whose profile service is nowhere: the profile viewer's calls answer 503.
        gateway = own.start_gateway({**suite.replicas, "profile": ["127.0.0.1:9"]})
        await sign_in(page, gateway, tenant)
        await page.get_by_role("link", name="Profiles").click()
        await page.get_by_label("Find a person").fill("userId:anyone")
        await page.get_by_label("Find a person").press("Enter")
        banner = page.locator("#banner")
        await expect(banner).to_contain_text("The backend is unavailable", timeout=SLOW)
        await expect(banner).to_contain_text(re.compile("Not answering: profile"))
    finally:
        assert own.stop() == {"gateway": 0}


async def test_suggestions_follow_a_catalog_that_arrives_while_a_field_is_in_use(
        page: Page, api: Api, suite: Endpoints, tenant: Tenant) -> None:
    """The catalog is never waited for: when it arrives while the marketer is in a field, that field's suggestions
    are filled in place (nothing is drawn anew under their cursor)."""
    await api.send({"type": "identify", "userId": "ann", "traits": {"plan": "pro"}, "timestamp": ago(1),
                    "messageId": str(uuid.uuid4())})
    release = asyncio.Event()

    async def held(route: Route) -> None:
        await release.wait()
        await route.continue_()

    await page.route("**/v1/catalog", held)
    await sign_in(page, suite.gateway, tenant)
    await page.goto(f"{suite.gateway}/ui/#/audiences/new")
    trait = condition(page, 0)
    await trait.get_by_label("Condition").select_option("trait")
    path = trait.get_by_label("Trait")
    await path.focus()
    await path.type("pl")
    options = page.locator(f"datalist#{await path.get_attribute('list')} option")
    await expect(options).to_have_count(0)  # no catalog yet
    release.set()
    await expect(options.and_(page.locator("[value='plan']"))).to_have_count(1, timeout=SLOW)
    await expect(path).to_be_focused()
    await expect(path).to_have_value("pl")


async def test_every_condition_kind_is_built_on_screen(page: Page, api: Api, suite: Endpoints, tenant: Tenant) -> None:
    await api.create_ready("audiences", {"name": "signed in", "conditions": [
        {"mode": "required", "event": {"name": "Signed In"}}]})
    await api.send(
        {"type": "identify", "userId": "ann", "traits": {"plan": "pro"}, "timestamp": ago(5),
         "messageId": str(uuid.uuid4())},
        track("ann", "Signed In", 3), track("bob", "Signed In", 2),
        {"type": "identify", "userId": "cid", "traits": {"plan": "pro"}, "timestamp": ago(5),
         "messageId": str(uuid.uuid4())},
        track("cid", "Signed In", 2),
        {"type": "page", "userId": "cid", "name": "Pricing", "timestamp": ago(1), "messageId": str(uuid.uuid4())},
    )
    await api.settled()
    await sign_in(page, suite.gateway, tenant)
    await page.goto(f"{suite.gateway}/ui/#/audiences/new")
    await page.get_by_label("Name").fill("pro, signed in, not pricing")

    trait = condition(page, 0)
    await trait.get_by_label("Condition").select_option("trait")
    path = trait.get_by_label("Trait")
    await expect_suggested(path, "plan")
    await path.fill("plan")
    await path.press("Tab")
    await trait.get_by_label("Value", exact=True).fill("pro")

    await page.get_by_role("button", name="+ Add condition").last.click()
    member = condition(page, 1)
    await member.get_by_label("Condition").select_option("audience")
    await expect(member.get_by_label("Audience", exact=True)).to_have_value("signed in")

    await page.get_by_role("button", name="+ Add condition").last.click()
    group = condition(page, 2)
    await group.get_by_label("Mode").first.select_option("not_required")
    await group.get_by_label("Condition").first.select_option("group")
    inner = group.locator("li.condition").first
    await inner.get_by_label("Event type").select_option("page")
    await inner.get_by_label("Page name").fill("Pricing")
    await inner.get_by_label("Page name").press("Tab")
    await inner.get_by_label("How often").select_option("at_least")
    await inner.get_by_label("When").select_option("quick")
    await inner.get_by_label("Last", exact=True).fill("14")
    await expect_preview(page, 1)  # ann: cid viewed pricing, bob has no plan

    await page.get_by_role("button", name="Save audience").click()
    await expect(page.locator(".status.ready")).to_be_visible(timeout=SLOW)
    saved = next(a for a in (await api.call("GET", "audiences"))["data"] if a["name"].startswith("pro,"))
    assert saved["conditions"] == [
        {"mode": "required", "trait": {"path": "plan", "op": "eq", "value": "pro"}},
        {"mode": "required", "audience": {"name": "signed in", "member": True}},
        {"mode": "not_required", "group": {"conditions": [
            {"mode": "required", "event": {"type": "page", "name": "Pricing", "count": {"op": "at_least", "value": 1},
                                           "window": {"kind": "quick", "last": {"amount": 14, "unit": "days"}}}}]}},
    ]
    assert await api.members(saved["id"]) == {await api.profile_id("ann")}
    await expect(page.locator("ul.summary").first).to_contain_text("is a member of “signed in”")
