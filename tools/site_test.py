"""The site test: open every page of the built book in headless Chromium and fail on what a reader
would trip over. Run it with ``make site-test`` or::

    .venv/bin/python tools/site_test.py _build/html [PAGE.html ...]

It drives Chromium with Playwright (the ``playwright`` package, using the OS's Chromium rather than
a browser Playwright downloads) and loads each page from ``file://``, the way a reader opens
``_build/html/index.html``, twice, each time in a fresh browser context (no cookies, storage or
cache from earlier pages: each page is met as a first-time reader meets it):

* on a desktop, in a 1,280 x 900 px window at a device pixel ratio of 1;
* on a phone: a 390 x 844 px viewport at a device pixel ratio of 3, with a mobile viewport and touch
  events (as Playwright's descriptors of phones set them).

After the page's load event it waits for its images and for MathJax's first typeset. Requests
outside the site are blocked in both loads (the site must work offline) and reported; console
errors and failed requests are reported from both. It fails the page on:

``console error``
    an uncaught exception, a ``console.error``/``console.assert`` call, or a browser log entry of
    level ``error`` (security errors, ...).
``request outside the site``
    any request whose URL is neither ``data:``/``blob:``/``about:`` nor a ``file://`` path inside the
    site's folder (web sockets included). Such requests are blocked before they leave, but they are
    still reported.
``request failed``
    a request inside the site that fails (a missing file: a favicon, a script, a stylesheet).
``image failed``
    an ``<img>`` that has no pixels after loading (``naturalWidth`` 0).
``raw TeX``
    rendered text outside code (``code``, ``pre``, ``kbd``, ``samp``, ``script``, ``style``,
    ``textarea``) and outside MathJax's output (``mjx-container``) that still contains TeX:
    ``$...$`` or ``$$...$$`` (an opening ``$`` followed by a non-space, a closing ``$`` preceded by a
    non-space and not followed by a digit, as Pandoc reads dollars), ``\\(...\\)``, ``\\[...\\]``, or a
    TeX command such as ``\\frac`` or ``\\mathbb``. Text is read per block (paragraph, list item,
    table cell, ...), so math split by inline markup is still seen whole.
``table as text``
    a block of rendered text (outside code) with a line of the form ``| a | b |`` (starts and
    ends with ``|``, at least three ``|``) or a Markdown table rule ``|---|``: a Markdown table
    that was printed instead of rendered.
``raw TeX in a search snippet``
    the site's own search (``search.html?q=...``, served over ``http://127.0.0.1`` from a
    throw-away local server, since Sphinx's search fetches pages and browsers refuse that on
    ``file://``), for each of :data:`SEARCH_TERMS`: the result snippets are checked for TeX as
    above, and a search that finds nothing or logs an error fails too.
``figure too narrow``
    an image in the page's content, at least 200 px wide in its file, shown at less than 60 % of
    that width. The course's figures are Matplotlib PNGs whose titles, axis labels and legends are
    pixels inside the image: drawn at 100 dpi, a 12-point title is about 17 px high in the file,
    so below 60 % it is under 10 px on the screen, too small to read. The ratio is the image's
    rendered CSS width over its natural width, in the 1,280 px window.
``page scrolls sideways``
    on the phone, the page is wider than the 390 px viewport (``scrollWidth`` of the document
    above the viewport's width, 1 px of tolerance): the reader would have to pan sideways to read
    it. A wide table, output or formula must scroll inside its own box instead. The problem names
    the element that reaches furthest to the right (outside boxes that scroll or clip their own
    overflow, and outside fixed-position ones, which cannot widen the page).
``figure cannot be opened at full size``
    on the phone, a figure (an image of the page's content at least 200 px wide in its file, as
    for "figure too narrow") is not inside a link to its own image file (for an image embedded as
    a ``data:`` URI: a ``blob:`` link to the same bytes), so a reader cannot tap it to see it at
    full size. The book's ``book/_static/figure_zoom.js`` adds such links. An image that links to
    another site (``http(s):``, such as a "launch in Colab" badge) is a button, not a figure,
    and is left out. The first visible figure of each page is also tapped: it must open its
    image, and going back must return to the page.

Exit status: 0 when every page passes, 1 when any page fails, 2 when the test cannot run (no
Chromium, no Playwright, no site). Chromium is found on the PATH (``chromium``, ``chromium-browser``,
``google-chrome``) or in ``$CHROMIUM``; when it is missing and this runs as root, it is installed
from the OS packages (``apt-get install -y chromium``).
"""

import argparse
import functools
import http.server
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request

WINDOW = (1280, 900)
#: The phone: an iPhone 12 to 15's CSS viewport, with the options Playwright's phone descriptors set.
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 3, "is_mobile": True,
         "has_touch": True}
MIN_FIGURE_SCALE = 0.6  # an output image shown below 60 % of its natural width fails
MIN_FIGURE_NATURAL_WIDTH = 200  # smaller images are icons, not figures
SIDEWAYS_TOLERANCE = 1  # px a page may exceed the phone's width by (rounding)
PAGE_TIMEOUT = 20.0  # seconds for one page to load and settle
TAP_TIMEOUT = 5.0  # seconds for a tapped figure to open its image (a local file: milliseconds)
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
SKIPPED_FOLDERS = ("_static", "_sources")  # theme templates and copied sources, not pages
#: Words searched for with the site's own search; each appears next to formulas in the book.
SEARCH_TERMS = ("Jensen", "equilibrium", "cross-entropy")


class SiteTestError(RuntimeError):
    """The site test cannot run (no Chromium, Chromium does not start, no site)."""


def find_chromium():
    """The path of a Chromium (or Chrome) executable, or None."""
    candidates = [os.environ.get("CHROMIUM", "")] + [shutil.which(name) or "" for name in CHROMIUM_NAMES]
    for path in candidates:
        if path and os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    return None


def ensure_chromium():
    """Find Chromium; when missing and root, install Debian's package. Raises SiteTestError."""
    path = find_chromium()
    if path:
        return path
    is_root = hasattr(os, "geteuid") and os.geteuid() == 0
    if not (is_root and shutil.which("apt-get")):
        raise SiteTestError("Chromium is not installed; install the OS package "
                            "(e.g. `sudo apt-get install -y chromium`) or set $CHROMIUM to its path")
    print("site-test: Chromium not found; installing it with `apt-get install -y chromium`", flush=True)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for commands in ([["apt-get", "install", "-y", "chromium"]],
                     [["apt-get", "update"], ["apt-get", "install", "-y", "chromium"]]):
        if all(subprocess.run(c, env=env, stdout=subprocess.DEVNULL).returncode == 0 for c in commands):
            break
    path = find_chromium()
    if not path:
        raise SiteTestError("Chromium is not installed and `apt-get install -y chromium` did not install it")
    return path


class Browser:
    """Headless Chromium driven by Playwright; :meth:`open_tab` gives each page a fresh context."""

    def __init__(self, chromium):
        try:
            from playwright.sync_api import sync_playwright  # the `test` extra
        except ImportError:
            raise SiteTestError("the playwright package is missing (make install)") from None
        self._playwright = sync_playwright().start()
        try:
            # Playwright starts it with --no-sandbox (Chromium refuses its sandbox as root) and
            # --hide-scrollbars, so the desktop window's content is the full 1,280 px.
            self._browser = self._playwright.chromium.launch(
                executable_path=chromium, headless=True, timeout=30_000,
                args=["--disable-gpu", "--disable-extensions", "--disable-background-networking",
                      "--disable-component-update", "--disable-sync", "--no-first-run"])
        except Exception as error:
            self._playwright.stop()
            raise SiteTestError(f"Chromium did not start: {str(error).strip().splitlines()[0]}") from None

    def open_tab(self, phone=False, allowed=None):
        """A page in a new, empty browser context, recording what it requests and logs: a
        :class:`Tab`. ``phone`` sets the phone's viewport instead of the desktop window.
        Requests to the network are blocked (the site must work offline); ``allowed``, a URL
        prefix, lets those under it through (the search check's local server)."""
        if phone:
            options = dict(PHONE)
        else:
            options = {"viewport": {"width": WINDOW[0], "height": WINDOW[1]}, "device_scale_factor": 1}
        return Tab(self._browser.new_context(**options), allowed)

    def close(self):
        try:
            self._browser.close()
        finally:
            self._playwright.stop()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class Tab:
    """One page of its own browser context, and what happened in it: ``requests`` (URLs, in
    order), ``failed`` ((URL, error) pairs) and ``events`` (the console's errors, as dicts that
    :func:`_console_problems` reads)."""

    def __init__(self, context, allowed=None):
        self.context = context
        self.requests, self.failed, self.events = [], [], []
        not_allowed = f"(?!{re.escape(allowed)})" if allowed else ""
        context.route(re.compile(f"^{not_allowed}(https?|ftp):"), lambda route: route.abort("blockedbyclient"))
        context.route_web_socket(re.compile("^wss?:"), self._on_web_socket)
        self.page = context.new_page()
        self.page.set_default_timeout(PAGE_TIMEOUT * 1000)
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.on("requestfailed", lambda request: self.failed.append((request.url, request.failure or "")))
        self.page.on("pageerror", self._on_page_error)
        self.page.on("console", self._on_console)

    def _on_web_socket(self, route):
        self.requests.append(route.url)  # never connected: the route answers for the server
        route.close()

    def _on_page_error(self, error):
        stack = getattr(error, "stack", "") or ""
        at = re.search(r"\(?((?:file|https?|blob):[^\s()]+?):(\d+):\d+\)?", stack)
        self.events.append({"kind": "exception", "text": f"{error.name}: {error.message}".strip(": "),
                            "url": at.group(1) if at else "", "line": int(at.group(2)) if at else 0})

    def _on_console(self, message):
        if message.type not in ("error", "assert"):
            return
        # Console API calls carry their arguments; the browser's own log entries (a security
        # error, a failed resource) come as errors without.
        kind = "console" if message.args else "log"
        self.events.append({"kind": kind, "type": message.type, "text": message.text})

    def settle(self, seconds=0.1):
        """Let the events that are still on their way arrive."""
        self.page.wait_for_timeout(seconds * 1000)

    def close(self):
        self.context.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


# What counts as raw TeX in rendered text (see the module's docstring), for the scripts below.
TEX_JS = r"""[
    /\$\$[^$]+?\$\$/,
    /(?<![\\$\w])\$(?=\S)[^$\n]{1,300}?(?<=\S)\$(?![\d$])/,
    /\\\(.+?\\\)/s,
    /\\\[.+?\\\]/s,
    /\\(frac|dfrac|tfrac|mathbb|mathcal|mathrm|mathbf|boldsymbol|operatorname|sqrt|sum|prod|int|log|exp|left|right|begin|end|cdot|times|leq|geq|neq|approx|sim|infty|nabla|partial|alpha|beta|gamma|theta|sigma|mu|lambda|epsilon|varepsilon|mathop|text)(?![A-Za-z])/,
  ]"""

# The start of both page scripts: wait until every image has loaded or failed and MathJax has
# typeset the page; define where(), which names an element and the section it is in.
SETTLE_JS = r"""
  const sleep = ms => new Promise(r => setTimeout(r, ms));
  // Images: load lazy ones now, then wait until every image has loaded or failed.
  for (const img of document.images) if (img.loading === "lazy") img.loading = "eager";
  await Promise.all([...document.images].map(img => img.complete ? null : new Promise(r => {
    img.addEventListener("load", r, {once: true});
    img.addEventListener("error", r, {once: true});
    setTimeout(r, 8000);
  })));
  // MathJax 3: startup.promise resolves after the first typeset of the page.
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    try { await Promise.race([MathJax.startup.promise, sleep(10000)]); } catch (e) {}
  }
  await sleep(50);
  const where = el => {
    const section = el.closest("section[id]");
    return (section ? "#" + section.id + " " : "") + "<" + el.tagName.toLowerCase() + ">";
  };
  const content = document.querySelector("article, main, [role=main]") || document.body;
"""

# Runs in the desktop page once it has loaded; resolves to {"images": [...], "tex": [...], "tables": [...]}.
PAGE_SCRIPT = r"""
(async () => {
  %(settle)s
  const MIN_SCALE = %(min_scale)s, MIN_NATURAL = %(min_natural)s;
  const images = [];
  for (const img of document.images) {
    const src = img.getAttribute("src") || "";
    const rect = img.getBoundingClientRect();
    const item = {src: src.slice(0, 120), where: where(img), natural: img.naturalWidth, shown: Math.round(rect.width),
                  loaded: img.complete && img.naturalWidth > 0, figure: false};
    item.figure = content.contains(img) && img.naturalWidth >= MIN_NATURAL && rect.width > 0
                  && rect.width < MIN_SCALE * img.naturalWidth;
    images.push(item);
  }

  // Rendered text outside code and MathJax output, gathered per block-level element.
  const SKIP = "code, pre, kbd, samp, script, style, noscript, textarea, template, svg, math, " +
               "mjx-container, mjx-assistive-mml, .MathJax";
  const inlineCache = new Map();
  const isInline = el => {
    if (!inlineCache.has(el)) {
      const d = getComputedStyle(el).display;
      inlineCache.set(el, d.startsWith("inline") || d === "contents");
    }
    return inlineCache.get(el);
  };
  const blocks = new Map();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT, {
    acceptNode: n => (n.parentElement && !n.parentElement.closest(SKIP))
                     ? NodeFilter.FILTER_ACCEPT : NodeFilter.FILTER_REJECT});
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    let block = node.parentElement;
    while (block !== document.body && isInline(block)) block = block.parentElement;
    if (!blocks.has(block)) blocks.set(block, []);
    blocks.get(block).push(node.nodeValue);
  }
  const TEX = %(tex)s;
  const TABLE_LINE = /^\|.*\|.*\|$/;
  const TABLE_RULE = /\|\s*:?-{3,}:?\s*\|/;
  const tex = [], tables = [];
  for (const [block, parts] of blocks) {
    const text = parts.join("");
    if (!text.trim()) continue;
    for (const pattern of TEX) {
      const m = text.match(pattern);
      if (m) {
        const start = Math.max(0, m.index - 30);
        tex.push({where: where(block), text: text.slice(start, m.index + m[0].length + 30).replace(/\s+/g, " ").trim()});
        break;
      }
    }
    const lines = text.split("\n").map(s => s.trim());
    const line = lines.find(s => TABLE_LINE.test(s) || TABLE_RULE.test(s));
    if (line) tables.push({where: where(block), text: line.slice(0, 100)});
  }
  return {images, tex, tables};
})()
""" % {"settle": SETTLE_JS, "min_scale": MIN_FIGURE_SCALE, "min_natural": MIN_FIGURE_NATURAL_WIDTH, "tex": TEX_JS}

# Runs in the phone page once it has loaded; resolves to {"width": ..., "widest": {...} or null,
# "viewport_meta": bool, "figures": [...]}. Each figure that opens its image is marked with a
# data-site-test-figure attribute, so that it can be tapped.
PHONE_SCRIPT = r"""
(async () => {
  %(settle)s
  const WIDTH = %(width)d, TOLERANCE = %(tolerance)d, MIN_NATURAL = %(min_natural)s;
  const name = el => {
    let s = el.tagName.toLowerCase();
    if (el.id) s += "#" + el.id;
    else if (el.classList.length) s += "." + [...el.classList].slice(0, 2).join(".");
    return s;
  };
  const scrollWidth = document.documentElement.scrollWidth;
  // The element reaching furthest to the right, outside boxes that scroll or clip their own
  // overflow and outside fixed ones (neither can widen the page); the outermost one of a tie.
  let widest = null;
  if (scrollWidth > WIDTH + TOLERANCE) {
    const cannotWiden = new Set();
    for (const el of document.body.querySelectorAll("*")) {
      if (cannotWiden.has(el.parentElement)) { cannotWiden.add(el); continue; }
      const style = getComputedStyle(el);
      if (style.position === "fixed") { cannotWiden.add(el); continue; }
      const rect = el.getBoundingClientRect();
      const right = rect.right + window.scrollX;
      if (rect.width > 0 && right > WIDTH + TOLERANCE && (!widest || right > widest.right + 0.5)) {
        const section = el.closest("section[id]");
        widest = {where: (section ? "#" + section.id + " " : "") + "<" + name(el) + ">",
                  right: Math.round(right), width: Math.round(rect.width)};
      }
      if (style.overflowX !== "visible") cannotWiden.add(el);
    }
  }

  // Figures, as "figure too narrow" counts them, and the link around each.
  const bytes = async url => new Uint8Array(await (await fetch(url)).arrayBuffer());
  const same = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);
  const bare = url => url.split("#")[0];
  const figures = [];
  for (const img of content.querySelectorAll("img")) {
    if (!(img.complete && img.naturalWidth >= MIN_NATURAL)) continue;
    const src = img.currentSrc || img.src;
    const link = img.closest("a[href]");
    // An image that links to another site (a "launch in Colab" badge) is a button, not a figure.
    if (link && /^(https?|mailto):/i.test(link.getAttribute("href"))) continue;
    const rect = img.getBoundingClientRect();
    const item = {src: (img.getAttribute("src") || "").slice(0, 120), where: where(img),
                  href: link ? link.getAttribute("href").slice(0, 120) : null, target: null,
                  opens: false, visible: rect.width > 0 && rect.height > 0};
    if (link && src.startsWith("data:")) {
      // An embedded image: its link must hold the same bytes (a blob: URL made from them).
      try { item.opens = link.href.startsWith("blob:") && same(await bytes(link.href), await bytes(src)); }
      catch (e) {}
    } else if (link) {
      item.opens = bare(link.href) === bare(src);
    }
    if (item.opens) {
      item.target = bare(link.href);
      item.index = figures.length;
      img.setAttribute("data-site-test-figure", String(item.index));
    }
    figures.push(item);
  }
  return {width: scrollWidth, widest, figures,
          viewport_meta: !!document.querySelector("meta[name=viewport]")};
})()
""" % {"settle": SETTLE_JS, "width": PHONE["viewport"]["width"], "tolerance": SIDEWAYS_TOLERANCE,
       "min_natural": MIN_FIGURE_NATURAL_WIDTH}

# Runs on search.html?q=...: waits for the search to finish and its snippets to arrive; resolves
# to {"status": ..., "results": N, "snippets": N, "tex": [...]}.
SEARCH_SCRIPT = r"""
(async () => {
  const sleep = ms => new Promise(r => setTimeout(r, ms));
  const TEX = %(tex)s;
  const deadline = Date.now() + %(timeout_ms)d;
  let status = "", items = [], contexts = [];
  while (Date.now() < deadline) {
    status = (document.querySelector("#search-results .search-summary") || {}).innerText || "";
    items = document.querySelectorAll("#search-results li");
    contexts = document.querySelectorAll("#search-results li p.context");
    if (/finished/i.test(status) && contexts.length >= items.length) break;
    await sleep(100);
  }
  await sleep(200);
  contexts = document.querySelectorAll("#search-results li p.context");
  const tex = [];
  for (const p of contexts) {
    const text = p.innerText;
    for (const pattern of TEX) {
      const m = text.match(pattern);
      if (m) {
        const start = Math.max(0, m.index - 30);
        tex.push(text.slice(start, m.index + m[0].length + 30).replace(/\s+/g, " ").trim());
        break;
      }
    }
  }
  return {status, results: items.length, snippets: contexts.length, tex};
})()
""" % {"tex": TEX_JS, "timeout_ms": int(PAGE_TIMEOUT * 1000)}


def _inside(url, root):
    """True when a request URL is part of the site: data:, blob:, about:, or a file under root."""
    scheme = url.split(":", 1)[0].lower()
    if scheme in ("data", "blob", "about"):
        return True
    if scheme != "file":
        return False
    path = os.path.realpath(urllib.request.url2pathname(urllib.parse.urlsplit(url).path))
    return path == root or path.startswith(root + os.sep)


def _short(url, root):
    if url.startswith("data:"):
        return url[:40] + "..."
    if url.startswith("file:"):
        path = urllib.request.url2pathname(urllib.parse.urlsplit(url).path)
        return os.path.relpath(path, root) if _inside(url, root) else path
    return url[:160]


def _first_line(error):
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__


REDIRECT = re.compile(r"""<meta\s+http-equiv=["']?refresh["']?\s+content=["']\d+;\s*url=([^"']+)["']""", re.I)


def check_page(browser, path, root):
    """Load one page on the desktop, then on the phone; return the list of its problems
    (strings), empty when it passes."""
    with open(path, encoding="utf-8", errors="replace") as f:
        head = f.read(2000)
    redirect = REDIRECT.search(head)
    if redirect and "<body" not in head.lower():
        # A bare redirect (Jupyter Book's index.html): its target is checked as a page of its own.
        target = os.path.normpath(os.path.join(os.path.dirname(path), redirect.group(1).split("#")[0]))
        if not (_inside("file://" + urllib.request.pathname2url(target), root) and os.path.isfile(target)):
            return [f"redirect to a missing page: {redirect.group(1)}"]
        return []
    url = "file://" + urllib.request.pathname2url(path)
    with browser.open_tab() as tab:
        problems = _check_desktop(tab, url, root)
    with browser.open_tab(phone=True) as tab:
        problems += _check_phone(tab, url, root)
    return list(dict.fromkeys(problems))  # each problem once, in order


def _load(tab, url, script):
    """Open url in the tab and run a page script; return (its result or None, problems)."""
    from playwright.sync_api import Error, TimeoutError

    problems = []
    try:
        tab.page.goto(url, wait_until="load", timeout=PAGE_TIMEOUT * 1000)
    except TimeoutError:
        problems.append(f"load event did not fire within {PAGE_TIMEOUT:.0f} s")
    except Error as error:
        return None, [f"navigation failed: {_first_line(error)}"]
    try:
        result = tab.page.evaluate(script)
    except Error as error:
        problems.append(f"the checker's script failed: {_first_line(error)[:300]}")
        result = None
    tab.settle()  # collect events that arrived with the script's result
    return result, problems


def _check_desktop(tab, url, root):
    report, problems = _load(tab, url, PAGE_SCRIPT)
    report = report or {"images": [], "tex": [], "tables": []}
    problems += _tab_problems(tab, root)
    for image in report["images"]:
        if not image["loaded"]:
            problems.append(f"image failed: <img src=\"{image['src']}\"> has no pixels (naturalWidth 0)")
        elif image["figure"]:
            problems.append(f"figure too narrow in {image['where']}: {os.path.basename(image['src'])} "
                            f"shown {image['shown']} px wide of its {image['natural']} px ({image['shown'] / image['natural']:.0%} < "
                            f"{MIN_FIGURE_SCALE:.0%}), so the title and labels inside it shrink with it")
    for item in report["tex"]:
        problems.append(f"raw TeX in {item['where']}: \"{item['text']}\"")
    for item in report["tables"]:
        problems.append(f"table as text in {item['where']}: \"{item['text']}\"")
    return problems


def _check_phone(tab, url, root):
    report, problems = _load(tab, url, PHONE_SCRIPT)
    problems += _tab_problems(tab, root)
    if report is None:
        return problems
    problems += _sideways_problems(report)
    problems += _figure_link_problems(report["figures"])
    tappable = [f for f in report["figures"] if f["opens"] and f["visible"]]
    if tappable:
        problem = _tap(tab, tappable[0], url)
        if problem:
            problems.append(problem)
    return problems


def _sideways_problems(report):
    """"page scrolls sideways" for a phone page wider than the phone (PHONE_SCRIPT's report)."""
    width = PHONE["viewport"]["width"]
    if report["width"] <= width + SIDEWAYS_TOLERANCE:
        return []
    problem = f"page scrolls sideways at {width} px: it is {report['width']} px wide"
    widest = report.get("widest")
    if widest:
        problem += (f"; the element reaching furthest, {widest['where']}, is {widest['width']} px wide"
                    f" and ends at {widest['right']} px")
    if not report.get("viewport_meta", True):
        problem += " (the page has no <meta name=\"viewport\">, so phones lay it out 980 px wide)"
    return [problem]


def _figure_link_problems(figures):
    """"figure cannot be opened at full size" for each figure (PHONE_SCRIPT's report) that is not
    inside a link to its own image."""
    problems = []
    for figure in figures:
        if figure["opens"]:
            continue
        reason = (f"its link goes to {figure['href']}, not to the image" if figure["href"] is not None
                  else "it is not inside a link to its image")
        problems.append(f"figure cannot be opened at full size in {figure['where']}: "
                        f"{os.path.basename(figure['src'][:60])}: {reason}")
    return problems


def _tap(tab, figure, url):
    """Tap a figure on the phone: it must open its image, and going back must return to the page.
    Returns a problem or None."""
    from playwright.sync_api import Error

    target = figure["target"]
    name = os.path.basename(urllib.parse.urlsplit(target).path) if not target.startswith("blob:") else target
    opens = ((lambda u: u == target) if target.startswith("blob:")
             else (lambda u: u.split("#")[0].split("?")[0].endswith("/" + name)))
    problem = f"figure cannot be opened at full size in {figure['where']}: tapping {name[:60]}"
    try:
        tab.page.locator(f"[data-site-test-figure='{figure['index']}']").tap(timeout=TAP_TIMEOUT * 1000)
        tab.page.wait_for_url(opens, wait_until="load", timeout=TAP_TIMEOUT * 1000)
    except Error as error:
        return f"{problem} did not open it ({_first_line(error)[:200]}; the page is at {tab.page.url[:160]})"
    try:
        tab.page.go_back(wait_until="load", timeout=PAGE_TIMEOUT * 1000)
    except Error as error:
        return f"{problem} opened it, but going back failed ({_first_line(error)[:200]})"
    if tab.page.url.split("#")[0] != url:
        return f"{problem} opened it, but going back led to {tab.page.url[:160]}"
    return None


def _tab_problems(tab, root):
    """Console errors, requests outside the site and failed requests inside it, for a page."""
    # Failed requests come again as network log entries; they are reported below instead.
    problems = _console_problems(tab.events, root, network_entries=False)
    outside = []
    for url in tab.requests:
        if not _inside(url, root) and url not in outside:
            outside.append(url)
            problems.append(f"request outside the site: {_short(url, root)}")
    for url, error in tab.failed:
        if url and url not in outside and _inside(url, root) and not url.startswith(("data:", "blob:")):
            problems.append(f"request failed: {_short(url, root)} ({error})")
    return problems


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


#: The start of the browser's log entry for a failed request (a network entry).
NETWORK_ENTRY = "Failed to load resource"


def _console_problems(events, root, network_entries=True):
    """The console errors among a tab's events (:attr:`Tab.events`): uncaught exceptions,
    console.error and console.assert calls, and browser log entries of level error (network ones,
    "Failed to load resource: ...", only when ``network_entries``)."""
    problems = []
    for event in events:
        text = event.get("text", "")
        if event["kind"] == "exception":
            where = f" ({_short(event['url'], root)}:{event['line']})" if event.get("url") else ""
            problems.append(f"console error: uncaught {text.splitlines()[0] if text else 'exception'}{where}")
        elif event["kind"] == "console":
            problems.append(f"console error: console.{event['type']}: {text[:200]}")
        elif network_entries or not text.startswith(NETWORK_ENTRY):
            problems.append(f"console error: [browser] {text[:200]}")
    return problems


def check_search(browser, root, terms=SEARCH_TERMS):
    """Search the site for each term with its own search page, served from a local http server;
    return the problems (none when there is no search.html)."""
    if not os.path.isfile(os.path.join(root, "search.html")):
        return []
    from playwright.sync_api import Error

    handler = functools.partial(_QuietHandler, directory=root)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    problems = []
    try:
        for term in terms:
            with browser.open_tab(allowed=base) as tab:
                url = base + "search.html?q=" + urllib.parse.quote(term)
                try:
                    tab.page.goto(url, wait_until="load", timeout=PAGE_TIMEOUT * 1000)
                    found = tab.page.evaluate(SEARCH_SCRIPT)
                except Error as error:
                    problems.append(f"search for {term!r}: the checker's script failed ({_first_line(error)[:200]})")
                    continue
                tab.settle()
                if not found["results"]:
                    problems.append(f"search for {term!r} found nothing ({found['status'] or 'no status'})")
                elif found["snippets"] < found["results"]:
                    problems.append(f"search for {term!r}: {found['results'] - found['snippets']} of "
                                    f"{found['results']} results have no snippet")
                for text in found["tex"]:
                    problems.append(f"raw TeX in a search snippet for {term!r}: \"{text}\"")
                problems += [f"search for {term!r}: {p}" for p in _console_problems(tab.events, root)]
                for requested in tab.requests:
                    if not requested.startswith((base, "data:", "blob:", "about:")):
                        problems.append(f"search for {term!r}: request outside the site: {requested[:160]}")
    finally:
        server.shutdown()
        server.server_close()
    return list(dict.fromkeys(problems))


def site_pages(root):
    """Every HTML page under root, sorted, except the theme's templates and copied sources."""
    pages = []
    for folder, subfolders, files in os.walk(root):
        if folder == root:
            subfolders[:] = [s for s in subfolders if s not in SKIPPED_FOLDERS]
        pages += [os.path.join(folder, f) for f in files if f.endswith(".html")]
    return sorted(pages)


def _report(out, name, problems, seconds):
    """One line for a checked page (ok or FAIL), then one line per problem."""
    if problems:
        print(f"FAIL  {name}  ({len(problems)} problem{'s' * (len(problems) != 1)}, {seconds:.1f} s)", file=out)
        for problem in problems:
            print(f"        - {problem}", file=out)
    else:
        print(f"ok    {name}  ({seconds:.1f} s)", file=out)
    out.flush()


def check_site(root, pages=None, chromium=None, out=None, search=None):
    """Check pages (default: every page under root), then the site's search (default: when
    checking every page); print a line per page and a summary.

    Returns {relative path: [problems]}.
    """
    out = out or sys.stdout
    root = os.path.realpath(root)
    if not os.path.isdir(root):
        raise SiteTestError(f"no site at {root} (build it first: make book)")
    if pages:  # paths as given, or relative to the site
        pages = [os.path.realpath(p if os.path.isfile(p) else os.path.join(root, p)) for p in pages]
        missing = [p for p in pages if not os.path.isfile(p)]
        if missing:
            raise SiteTestError(f"no such page: {', '.join(missing)}")
    else:
        pages = site_pages(root)
        search = True if search is None else search
    if not pages:
        raise SiteTestError(f"no HTML pages under {root}")
    results = {}
    with Browser(chromium or ensure_chromium()) as browser:
        for path in pages:
            started = time.monotonic()
            problems = check_page(browser, path, root)
            name = os.path.relpath(path, root)
            results[name] = problems
            _report(out, name, problems, time.monotonic() - started)
        if search:
            started = time.monotonic()
            problems = check_search(browser, root)
            if problems or os.path.isfile(os.path.join(root, "search.html")):
                results["search.html?q=..."] = problems
                _report(out, f"search for {', '.join(SEARCH_TERMS)}", problems, time.monotonic() - started)
    bad = [name for name, problems in results.items() if problems]
    count = sum(len(results[name]) for name in bad)
    if bad:
        print(f"site-test: {len(bad)} of {len(results)} pages FAILED ({count} problem{'s' * (count != 1)}): {', '.join(bad)}", file=out)
    else:
        print(f"site-test: {len(results)} page{'s' * (len(results) != 1)} checked, all OK", file=out)
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("root", nargs="?", default="_build/html", help="the built site (default: _build/html)")
    parser.add_argument("pages", nargs="*", help="only these pages, paths relative to root or as given (default: every page)")
    args = parser.parse_args(argv)
    try:
        results = check_site(args.root, args.pages or None)
    except SiteTestError as error:
        print(f"site-test: {error}", file=sys.stderr)
        return 2
    return 1 if any(results.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
