// Small accessibility checks for the page (no axe-core on this offline machine): controls
// without a name, from Chromium's accessibility tree, and text contrast below WCAG AA.

const CONTROL_ROLES = new Set([
  "button", "checkbox", "combobox", "link", "listbox", "meter", "progressbar", "radio",
  "searchbox", "slider", "spinbutton", "switch", "textbox", "region",
]);

/** `Accessibility.getFullAXTree` nodes → "role (#id)" of every control with no name. */
export function unnamedControls(nodes) {
  return nodes
    .filter((n) => !n.ignored && CONTROL_ROLES.has(n.role?.value) && !String(n.name?.value ?? "").trim())
    .map((n) => `${n.role.value} (backend node ${n.backendDOMNodeId})`);
}

/**
 * Runs in the page (passed to `page.evaluate`, so self-contained): every visible element with
 * its own text whose colour has less than 4.5:1 contrast (3:1 for large text) against the
 * first opaque background behind it. Returns descriptions of the failures.
 */
export function contrastProblems() {
  const parse = (c) => {
    const m = c.match(/rgba?\(([^)]+)\)/);
    if (!m) return null;
    const [r, g, b, a = "1"] = m[1].split(/[ ,/]+/).filter(Boolean);
    return { r: +r, g: +g, b: +b, a: +a };
  };
  const lum = ({ r, g, b }) => {
    const f = (v) => ((v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const blend = (top, under) => ({
    r: top.r * top.a + under.r * (1 - top.a),
    g: top.g * top.a + under.g * (1 - top.a),
    b: top.b * top.a + under.b * (1 - top.a),
    a: 1,
  });
  const background = (el) => {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c && c.a > 0) {
        layers.push(c);
        if (c.a >= 1) break;
      }
    }
    let bg = parse(getComputedStyle(document.documentElement).colorScheme === "dark" ? "rgb(0,0,0)" : "rgb(255,255,255)");
    for (const layer of layers.reverse()) bg = blend(layer, bg);
    return bg;
  };
  const problems = [];
  for (const el of document.body.querySelectorAll("*")) {
    if (["SCRIPT", "STYLE", "OPTION", "OPTGROUP", "NOSCRIPT", "DATALIST"].includes(el.tagName)) continue;
    const ownText = [...el.childNodes].some((n) => n.nodeType === Node.TEXT_NODE && n.textContent.trim());
    if (!ownText && !["INPUT", "TEXTAREA", "SELECT"].includes(el.tagName)) continue;
    if (el.closest(":disabled") || el.closest("[hidden]")) continue;
    const rect = el.getBoundingClientRect();
    if (rect.width === 0 || rect.height === 0) continue;
    const style = getComputedStyle(el);
    if (style.visibility === "hidden" || style.display === "none") continue;
    const fg = parse(style.color);
    if (!fg) continue;
    const bg = background(el);
    const [l1, l2] = [lum(blend(fg, bg)), lum(bg)].sort((a, b) => b - a);
    const ratio = (l1 + 0.05) / (l2 + 0.05);
    const size = parseFloat(style.fontSize);
    const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
    if (ratio < (large ? 3 : 4.5)) {
      problems.push(`${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ""}.${el.className} "${(el.textContent || el.value || "").trim().slice(0, 30)}": ${ratio.toFixed(2)}`);
    }
  }
  return problems;
}
