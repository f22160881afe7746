"""Every page of the journeys, on a 360×740 phone, as each person sees it (issues 15.6 and 15.9).

axe-core (from the npm registry, installed by scripts/test, loaded from tests/browser/axe into each page) finds
no serious or critical violation, every form input has a label, and everything a finger taps is at least
44×44 px. The menu folds behind one button on the phone, without JavaScript too, and fits two lines on a
desktop.
"""

from pathlib import Path

import pytest

from core.testing_server import live_server
from tests.browser.conftest import sign_in
from tests.web.test_every_page_words import PASSWORD, _crawl, _world

pytestmark = pytest.mark.browser
AXE = Path(__file__).parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"
PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True, "bypass_csp": True}

TAP_TARGETS = """() => {
  const small = [];
  for (const el of document.querySelectorAll('a[href], button, input:not([type=hidden]), select, textarea')) {
    const style = getComputedStyle(el);
    if (style.display === 'none' || style.visibility === 'hidden' || !el.getClientRects().length) continue;
    // a box, or the label that carries it (a checkbox is tapped through its label)
    const boxes = [el.getBoundingClientRect(), ...Array.from(el.labels || [], l => l.getBoundingClientRect())]
      .filter(r => r.width > 0 && r.height > 0 && parseFloat(style.opacity) > 0 || el.labels?.length);
    const best = boxes.reduce((a, r) => (r.width * r.height > a.width * a.height ? r : a), {width: 0, height: 0});
    if (best.width < 43.5 || best.height < 43.5) {
      small.push(`${el.tagName.toLowerCase()} "${(el.innerText || el.value || el.name || '').trim().slice(0, 30)}"`
                 + ` ${Math.round(best.width)}×${Math.round(best.height)}`);
    }
  }
  return small;
}"""

UNLABELLED = """() => Array.from(document.querySelectorAll('input:not([type=hidden]), select, textarea'))
  .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                && !el.getAttribute('aria-labelledby'))
  .map(el => el.name || el.id || el.outerHTML.slice(0, 60))"""


def _journeys(app, people, starts) -> dict[str, list[str]]:
    """The HTML pages each person reaches from where they land (the same walk as the words test). Each kind
    of page is checked once, as the first person who reaches it sees it (every product page, or every
    figure's records, is one template), and each person's own landing pages are checked as they see them,
    since the menu differs by person."""
    import re

    from core.testing import login

    journeys, seen = {}, set()
    for who in ("anonymous", "household", "helper", "staff", "admin"):
        browser_client = app.test_client()
        if who != "anonymous":
            login(browser_client, people[who], PASSWORD)
        pages = _crawl(browser_client, ["/", "/cart", "/dashboard/", "/staff/00583/bills", *starts], "vi")
        journeys[who] = []
        for url in sorted(url for url, html in pages.items() if html):
            shape = re.sub(r"/metrics/[a-z0-9_]+/records", "/metrics/X/records", url)
            shape = re.sub(r"/\d+[^/?]*|/[A-Za-z0-9_-]{20,}|\?.*", "/N", shape)
            if shape not in seen or url in ("/", "/dashboard/", "/staff/00583/bills"):
                seen.add(shape)
                journeys[who].append(url)
    return journeys


def test_every_page_is_accessible_and_easy_to_tap_on_a_phone(app, client, factory, db, browser):
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: scripts/test installs it with npm ci (tests/browser/axe)")
    people, starts = _world(app, client, factory, db)
    problems: list[str] = []
    checked = 0
    with live_server(app) as base:
        for who, urls in _journeys(app, people, starts).items():
            context = browser.new_context(**PHONE)
            context.add_init_script(path=str(AXE))  # in every page this person opens, before its own scripts
            page = context.new_page()
            if who != "anonymous":
                sign_in(page, base, people[who].phone, PASSWORD)
            for url in urls:
                page.goto(base + url)
                result = page.evaluate("""async () => {
                    const r = await axe.run(document, {runOnly: {type: 'tag',
                        values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}});
                    return r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
                        .map(v => `${v.id} (${v.impact}): `
                                  + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', '));
                }""")
                problems += [f"{who} {url}: {v}" for v in result]
                problems += [f"{who} {url}: unlabelled input {name}" for name in page.evaluate(UNLABELLED)]
                problems += [f"{who} {url}: small tap target {t}" for t in page.evaluate(TAP_TARGETS)]
                checked += 1
            context.close()
    assert checked > 25, f"only {checked} pages were checked: the walk is not seeing the site"
    assert not problems, "\n".join(problems)


def test_the_menu_folds_on_a_phone_without_javascript_and_fits_two_lines_on_a_desktop(app, factory, browser):
    staff = factory.user("staff", password=PASSWORD)
    with live_server(app) as base:
        phone = browser.new_context(**{**PHONE, "java_script_enabled": False}).new_page()
        sign_in(phone, base, staff.phone, PASSWORD)
        menu = phone.locator("header.top nav")
        assert menu.is_hidden() and phone.locator("label.menu-button").is_visible()
        header = phone.locator("header.top").bounding_box()
        assert header["height"] < 70, "the folded header is one line"
        phone.click("label.menu-button")
        assert menu.is_visible() and menu.get_by_role("link", name="Việc của xã").is_visible()
        # staff see the commune's pages, not a household's
        assert menu.get_by_role("link", name="Hóa đơn của tôi").count() == 0
        phone.context.close()

        desktop = browser.new_page(viewport={"width": 1280, "height": 800})
        sign_in(desktop, base, staff.phone, PASSWORD)
        assert desktop.locator("label.menu-button").is_hidden()
        assert desktop.locator("header.top").bounding_box()["height"] <= 2 * 44 + 24
        sub = desktop.locator("nav.sub")
        for name in ("Phí và hóa đơn", "Giao dịch chuyển khoản", "Đơn hàng của xã", "Kinh tế số", "Người hỗ trợ"):
            assert sub.get_by_role("link", name=name).is_visible(), name
