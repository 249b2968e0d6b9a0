"""Every page, checked in the browser the way an accessibility audit would: labelled
controls, one main heading, alt text, readable contrast, a visible focus, a sensible first
tab stop. The checks run in the page, on what Chromium actually rendered."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.timeout(180)

#: WCAG 2.1 AA: 4.5:1 for text, 3:1 for large text (24px, or 18.66px bold).
AUDIT = """() => {
  const problems = [];
  const parse = c => { const m = c.match(/rgba?\\(([^)]+)\\)/); if (!m) return null;
    const p = m[1].split(',').map(Number); return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1}; };
  const lum = ({r, g, b}) => { const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b); };
  const background = el => { for (let e = el; e; e = e.parentElement) {
    const c = parse(getComputedStyle(e).backgroundColor); if (c && c.a > 0.9) return c; }
    return {r: 255, g: 255, b: 255, a: 1}; };
  const seen = new Set();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const el = walker.currentNode.parentElement;
    if (!walker.currentNode.textContent.trim() || !el || seen.has(el)) continue;
    seen.add(el);
    if (el.closest('svg, .visually-hidden, option, script, [hidden]')) continue;
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden' || !el.getClientRects().length) continue;
    const fg = parse(style.color), bg = background(el);
    const [hi, lo] = [lum(fg), lum(bg)].sort((a, b) => b - a);
    const ratio = (hi + 0.05) / (lo + 0.05);
    const size = parseFloat(style.fontSize), bold = parseInt(style.fontWeight) >= 700;
    const need = (size >= 24 || (bold && size >= 18.66)) ? 3 : 4.5;
    if (ratio < need) problems.push(`contrast ${ratio.toFixed(2)} < ${need}: "${el.textContent.trim().slice(0, 40)}"`);
  }
  for (const c of document.querySelectorAll('input:not([type=hidden]), select, textarea')) {
    if (!(c.labels && c.labels.length) && !c.getAttribute('aria-label') && !c.getAttribute('aria-labelledby'))
      problems.push(`unlabelled control ${c.name || c.id}`);
  }
  for (const b of document.querySelectorAll('button, a[href]')) {
    if (!b.textContent.trim() && !b.getAttribute('aria-label')) problems.push(`nameless ${b.tagName} ${b.outerHTML.slice(0, 60)}`);
  }
  for (const img of document.querySelectorAll('img')) if (!img.alt) problems.push(`image without alt ${img.src}`);
  const h1 = document.querySelectorAll('h1').length;
  if (h1 !== 1) problems.push(`${h1} h1 headings`);
  if (!document.documentElement.lang) problems.push('no lang on <html>');
  return problems;
}"""

PAGES = {
    "dsl": ["/queue", "/queue?status=all&sort=newest", "/incidents/{exam_stress}",
            "/incidents/{markup}", "/pupils", "/pupil?login=NFA%5Cj.carter", "/dashboard",
            "/audit", "/settings/alerts", "/settings/school", "/settings/devices",
            "/pupils?q=nobody-has-this-login"],
    "admin": ["/settings/devices", "/settings/accounts", "/settings/overlay", "/queue"],
}


@pytest.mark.parametrize("who", ["dsl", "admin"])
def test_every_page_passes_the_accessibility_checks(open_page, ui_server, who):
    page = open_page(who)
    ids = {name: seeded.id for name, seeded in ui_server.incidents.items()}
    failures = {}
    for path in PAGES[who]:
        page.goto(path.format(**ids))
        problems = page.evaluate(AUDIT)
        if problems:
            failures[path] = problems
    assert failures == {}


def test_the_first_tab_stop_skips_to_the_content_and_focus_is_visible(open_page, ui_server):
    page = open_page()
    page.goto("/login")
    assert page.evaluate("document.activeElement.id") == "email"  # ready to type
    page.goto("/login?next=/queue")
    page.get_by_label("Email address").fill("dsl@northfield.example")
    page.get_by_label("Password").fill("correct-horse-battery-staple")
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: url.endswith("/queue") and "/login" not in url)
    page.keyboard.press("Tab")
    focused = page.evaluate("""() => { const el = document.activeElement; const s = getComputedStyle(el);
        return {text: el.textContent.trim(), outline: s.outlineStyle, width: s.outlineWidth}; }""")
    assert focused == {"text": "Skip to content", "outline": "solid", "width": "3px"}
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
