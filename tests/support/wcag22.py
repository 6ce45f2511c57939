"""The WCAG 2.2 AA success criteria axe-core cannot judge from the page as it stands
(tests/e2e/test_wcag22.py): focus not obscured (2.4.11), walked with the keyboard, and target
size (2.5.8) with its spacing and inline exceptions, measured as the W3C's Understanding
documents define them."""

import pytest

# 2.5.8: a target is at least 24 by 24 CSS pixels, or a circle of this diameter centred on it
# meets no other target nor another small target's circle.
MINIMUM_TARGET_PX = 24
# More Tab presses than any page has focusable elements: a walk that never ends is a trap.
MAX_TABS = 400

# Run after each Tab: where the element with the focus is, and what is drawn at its centre. The
# walk ends when the focus leaves the page (the body has it) or comes back to an element seen.
_FOCUSED = """() => {
  const element = document.activeElement;
  if (!element || element === document.body || element === document.documentElement) {
    return {done: true};
  }
  const seen = (window.__wcagFocusSeen = window.__wcagFocusSeen || new Set());
  if (seen.has(element)) return {done: true};
  seen.add(element);
  const what = element.outerHTML.slice(0, 160);
  const width = document.documentElement.clientWidth;
  const height = document.documentElement.clientHeight;
  const labels = element.labels ? [...element.labels] : [];
  const ours = hit => hit && (hit === element || element.contains(hit)
    || labels.some(label => label.contains(hit)));
  // A link that wraps is drawn in pieces, one per line: the centre of its whole box may fall
  // between them, so each piece in view is tried.
  let cover = null, inView = false;
  for (const box of element.getClientRects()) {
    const left = Math.max(box.left, 0), right = Math.min(box.right, width);
    const top = Math.max(box.top, 0), bottom = Math.min(box.bottom, height);
    if (right <= left || bottom <= top) continue;
    inView = true;
    const hit = document.elementFromPoint((left + right) / 2, (top + bottom) / 2);
    if (ours(hit)) return {done: false, problem: null};
    cover = hit;
  }
  if (!inView) {
    const box = JSON.stringify(element.getBoundingClientRect());
    return {done: false, problem: `outside the viewport (${box}): ${what}`};
  }
  const by = cover ? cover.outerHTML.slice(0, 160) : "nothing";
  return {done: false, problem: `covered by ${by}: ${what}`};
}"""

# Every link and button shown, with its box and whether it sits inline in a sentence (the
# criterion's inline exception: its size is set by the line of text around it).
_TARGETS = """() => {
  const selector = 'a[href], button, input[type=submit], input[type=button], '
    + 'input[type=reset], [role=button]';
  const blockOf = element => {
    let node = element.parentElement;
    while (node && getComputedStyle(node).display.startsWith('inline')) {
      node = node.parentElement;
    }
    return node;
  };
  const words = text => text.replace(/\\s+/g, ' ').trim();
  return [...document.querySelectorAll(selector)]
    .filter(element => {
      const style = getComputedStyle(element);
      const box = element.getBoundingClientRect();
      return style.visibility !== 'hidden' && box.width > 0 && box.height > 0;
    })
    .map(element => {
      const box = element.getBoundingClientRect();
      const block = blockOf(element);
      const inline = getComputedStyle(element).display === 'inline'
        && block !== null && words(block.textContent) !== words(element.textContent);
      return {
        what: element.outerHTML.slice(0, 160),
        left: box.left + window.scrollX, top: box.top + window.scrollY,
        width: box.width, height: box.height, inline,
      };
    });
}"""


def focus_not_obscured_problems(page):
    """Tabs through the whole page from its top, as a keyboard user does, and lists each
    element that had the focus out of view or with something else drawn over its centre.

    Measured where each focus scroll ends: Bootstrap scrolls smoothly unless the person asks
    for reduced motion, and mid-scroll the page is between two places."""
    page.emulate_media(reduced_motion="reduce")
    page.evaluate("() => { document.activeElement && document.activeElement.blur(); }")
    problems = []
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        state = page.evaluate(_FOCUSED)
        if state["done"]:
            return problems
        if state["problem"]:
            problems.append(state["problem"])
    pytest.fail(f"{MAX_TABS} presses of Tab on {page.url} never left the page: a focus trap?")


def _distance_to_box(x, y, box):
    dx = max(box["left"] - x, 0, x - (box["left"] + box["width"]))
    dy = max(box["top"] - y, 0, y - (box["top"] + box["height"]))
    return (dx * dx + dy * dy) ** 0.5


def _centre(box):
    return box["left"] + box["width"] / 2, box["top"] + box["height"] / 2


def _contains(outer, inner):
    return (
        outer["left"] <= inner["left"]
        and outer["top"] <= inner["top"]
        and inner["left"] + inner["width"] <= outer["left"] + outer["width"]
        and inner["top"] + inner["height"] <= outer["top"] + outer["height"]
    )


def target_size_problems(page):
    """Each link or button not inline in text that is under 24 by 24 CSS pixels and lacks the
    spacing exception: a 24 px circle on its centre meets another target, or another small
    target's circle (their centres are under 24 px apart)."""
    targets = page.evaluate(_TARGETS)
    radius = MINIMUM_TARGET_PX / 2

    def small(box):
        return box["width"] < MINIMUM_TARGET_PX or box["height"] < MINIMUM_TARGET_PX

    problems = []
    for target in targets:
        if target["inline"] or not small(target):
            continue
        x, y = _centre(target)
        for other in targets:
            # The same target, or one drawn inside the other (a button's own label).
            if other is target or _contains(other, target) or _contains(target, other):
                continue
            ox, oy = _centre(other)
            crowded = (
                ((x - ox) ** 2 + (y - oy) ** 2) ** 0.5 < MINIMUM_TARGET_PX
                if small(other)
                else _distance_to_box(x, y, other) < radius
            )
            if crowded:
                problems.append(
                    f"{target['width']:.0f}x{target['height']:.0f} px, too near "
                    f"{other['what']}: {target['what']}"
                )
                break
    return problems


def assert_wcag22(page):
    """The page as it is now meets 2.4.11 and 2.5.8 as measured above."""
    focus = focus_not_obscured_problems(page)
    assert focus == [], f"focus obscured on {page.url} (2.4.11):\n  " + "\n  ".join(focus)
    size = target_size_problems(page)
    assert size == [], f"targets too small on {page.url} (2.5.8):\n  " + "\n  ".join(size)
