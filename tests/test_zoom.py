"""Issue 7: text stays readable at 200% zoom, on every survivor page and each intake step.

A 1280x800 window zoomed to 200% lays pages out in 640x400 CSS pixels, drawn with two device
pixels to each; that is what Chromium is given here. On each page: no sideways scrolling, every
line of text inside the window's width, no two pieces of text on top of each other, no box that
hides part of its content; and a full-page screenshot, checked to show something. Screenshots go
to a folder of the test's own, or to var/screenshots/ with KEEP_SCREENSHOTS=1 (to look at them).
"""

import base64
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PROJECT_ROOT
from tests.intake.test_intake_browser import give_consent
from tests.test_accessibility import SURVIVOR_PAGES

pytestmark = pytest.mark.browser

ZOOMED = {"viewport": {"width": 640, "height": 400}, "device_scale_factor": 2}

LAYOUT_FAULTS = """() => {
    const root = document.documentElement;
    const width = root.clientWidth;
    const faults = [];
    const describe = el => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")
        + (el.classList.length ? "." + [...el.classList].join(".") : "");
    if (root.scrollWidth > width) {
        faults.push(`the page scrolls sideways: ${root.scrollWidth} > ${width}`);
    }

    // Every line of visible text, as the browser laid it out.
    const lines = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {
        const node = walker.currentNode;
        const text = node.textContent.trim();
        const parent = node.parentElement;
        if (!text || parent.closest("script, noscript, select, textarea")) {
            continue;
        }
        // Not drawn (inside a closed <details>, or visibility: hidden), though laid out.
        if (!parent.checkVisibility({visibilityProperty: true})) {
            continue;
        }
        const range = document.createRange();
        range.selectNodeContents(node);
        for (const r of range.getClientRects()) {
            // Empty boxes, and the skip link parked above the page until it has focus.
            if (r.width < 1 || r.height < 1 || r.bottom + scrollY <= 0) {
                continue;
            }
            if (r.left < -0.5 || r.right > width + 0.5) {
                faults.push(`"${text.slice(0, 40)}" (${describe(parent)}) `
                    + `runs from ${Math.round(r.left)} to ${Math.round(r.right)} of ${width}`);
            }
            lines.push({node, text, r});
        }
    }
    // Two pieces of text overlap when their boxes share more than a quarter of the smaller
    // height (a little sharing is normal: a font's box is taller than a tight line-height).
    for (let i = 0; i < lines.length; i++) {
        for (let j = i + 1; j < lines.length; j++) {
            const a = lines[i], b = lines[j];
            if (a.node === b.node) {
                continue;
            }
            const across = Math.min(a.r.right, b.r.right) - Math.max(a.r.left, b.r.left);
            const down = Math.min(a.r.bottom, b.r.bottom) - Math.max(a.r.top, b.r.top);
            if (across > 2 && down > 0.25 * Math.min(a.r.height, b.r.height)) {
                faults.push(`"${a.text.slice(0, 30)}" overlaps "${b.text.slice(0, 30)}"`);
            }
        }
    }
    // A box that does not show all of its content (cut off, or scrollable inside the page).
    for (const el of document.body.querySelectorAll("*")) {
        if (el.matches("input, select, textarea, option, script") || !el.getClientRects().length) {
            continue;
        }
        const s = getComputedStyle(el);
        const cutX = s.overflowX !== "visible" && el.scrollWidth > el.clientWidth + 1;
        const cutY = s.overflowY !== "visible" && el.scrollHeight > el.clientHeight + 1;
        if (cutX || cutY || (s.textOverflow === "ellipsis" && el.scrollWidth > el.clientWidth)) {
            faults.push(`${describe(el)} hides part of its content (overflow ${s.overflow})`);
        }
    }
    return faults;
}"""

# The share of pixels that differ from the most common colour (the background), measured on the
# screenshot file as Chromium decodes it.
INK_FRACTION = """async data => {
    const image = new Image();
    image.src = "data:image/png;base64," + data;
    await image.decode();
    const canvas = document.createElement("canvas");
    canvas.width = image.width;
    canvas.height = image.height;
    const context = canvas.getContext("2d");
    context.drawImage(image, 0, 0);
    const rgba = context.getImageData(0, 0, image.width, image.height).data;
    const pixels = new Uint32Array(rgba.buffer);
    const counts = new Map();
    for (const pixel of pixels) {
        counts.set(pixel, (counts.get(pixel) || 0) + 1);
    }
    return 1 - Math.max(...counts.values()) / pixels.length;
}"""


@pytest.fixture
def screenshot_folder(tmp_path: Path, request: pytest.FixtureRequest) -> Path:
    if os.environ.get("KEEP_SCREENSHOTS") == "1":
        folder = PROJECT_ROOT / "var" / "screenshots" / request.node.name
    else:
        folder = tmp_path / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


class ZoomCheck:
    def __init__(self, session: Any, folder: Path) -> None:
        self.folder = folder
        self.faults: dict[str, list[str]] = {}
        # An empty page (about:blank, no network) to measure screenshots in.
        self.measuring = session.new_page()

    def check(self, page: Any, name: str) -> None:
        page.wait_for_load_state("load")
        found = list(page.evaluate(LAYOUT_FAULTS))
        path = self.folder / (name.strip("/").replace("/", "_").replace("?", "_") + ".png")
        png = page.screenshot(path=path, full_page=True)
        # At least the 1280-pixel width of two device pixels per CSS pixel.
        width = int.from_bytes(png[16:20], "big")
        if width != 1280:
            found.append(f"the screenshot is {width} pixels wide, not 1280")
        ink = self.measuring.evaluate(INK_FRACTION, base64.b64encode(png).decode())
        if ink < 0.02:
            found.append(f"the screenshot is nearly blank ({ink:.1%} ink)")
        if found:
            self.faults[name] = found


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_survivor_pages_at_200_percent_zoom(
    browser: Callable[..., Any], screenshot_folder: Path, lang: str
) -> None:
    session = browser(**ZOOMED)
    page = session.new_page()
    zoom = ZoomCheck(session, screenshot_folder)
    for path in SURVIVOR_PAGES:
        page.goto(session.url(path.format(lang=lang)))
        zoom.check(page, path.format(lang=lang))
    assert zoom.faults == {}
    assert len(list(screenshot_folder.glob("*.png"))) == len(SURVIVOR_PAGES)


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_the_intake_steps_at_200_percent_zoom(
    browser: Callable[..., Any], service_keys: Any, screenshot_folder: Path, lang: str
) -> None:
    session = browser(**ZOOMED)
    page = session.new_page()
    zoom = ZoomCheck(session, screenshot_folder)
    page.goto(session.url(f"/{lang}/intake/consent/"))
    page.click("form button[type=submit]")  # refused: the error summary and field errors
    zoom.check(page, f"{lang}-consent-errors")
    give_consent(page)
    zoom.check(page, f"{lang}-account")
    page.fill("#id_account-narrative", "A long account. " * 40 + "x" * 120)
    page.check("#id_account-in_danger")
    page.check("input[name='account-harms'][value='threats']")
    page.click("form button[type=submit]")
    zoom.check(page, f"{lang}-review")
    page.click("form button[type=submit]:not([formaction])")
    zoom.check(page, f"{lang}-receipt")
    receipt = page.locator("#receipt-code").inner_text()
    page.goto(session.url(f"/{lang}/intake/return/"))
    page.fill("#id_receipt", receipt)
    page.click("form button[type=submit]")
    zoom.check(page, f"{lang}-my-account")
    page.goto(session.url(f"/{lang}/intake/my-account/withdraw/"))
    zoom.check(page, f"{lang}-withdraw")
    assert zoom.faults == {}
