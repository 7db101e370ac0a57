"""The site test: open every page of the built book in headless Chromium and fail on what a reader
would trip over (issue 11, item 5). Run it with ``make site-test`` or::

    .venv/bin/python tools/site_test.py _build/html [PAGE.html ...]

It drives Chromium over the Chrome DevTools Protocol (``--remote-debugging-port``, the
``websocket-client`` package) and loads each page from ``file://``, the way a reader opens
``_build/html/index.html``, in a 1,280 x 900 px window at a device pixel ratio of 1. After the page's
load event it waits for its images and for MathJax's first typeset, then fails the page on:

``console error``
    an uncaught exception (``Runtime.exceptionThrown``), a ``console.error``/``console.assert``
    call, or a browser log entry of level ``error`` (``Log.entryAdded``: security errors, ...).
``request outside the site``
    any request whose URL is neither ``data:``/``blob:``/``about:`` nor a ``file://`` path inside the
    site's folder. Requests to the network are blocked before they leave (the site must work
    offline), but they are still reported.
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
    rendered CSS width over its natural width, at the 1,280 px window described above.

Exit status: 0 when every page passes, 1 when any page fails, 2 when the test cannot run (no
Chromium, no site). Chromium is found on the PATH (``chromium``, ``chromium-browser``,
``google-chrome``) or in ``$CHROMIUM``; when it is missing and this runs as root, it is installed
from the OS packages (``apt-get install -y chromium``).
"""

import argparse
import functools
import http.server
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request

WINDOW = (1280, 900)
MIN_FIGURE_SCALE = 0.6  # an output image shown below 60 % of its natural width fails
MIN_FIGURE_NATURAL_WIDTH = 200  # smaller images are icons, not figures
PAGE_TIMEOUT = 20.0  # seconds for one page to load and settle
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
    """Headless Chromium driven over the DevTools Protocol, one fresh tab per page."""

    def __init__(self, chromium):
        try:
            import websocket  # websocket-client, the `test` extra
        except ImportError:
            raise SiteTestError("the websocket-client package is missing (make install)") from None

        self._profile = tempfile.mkdtemp(prefix="site-test-chromium-")
        args = [chromium, "--headless=new", "--remote-debugging-port=0",
                f"--user-data-dir={self._profile}", f"--window-size={WINDOW[0]},{WINDOW[1]}",
                "--disable-gpu", "--no-first-run", "--no-default-browser-check", "--disable-extensions",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-default-apps", "--mute-audio", "--hide-scrollbars", "--force-device-scale-factor=1"]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            args.append("--no-sandbox")  # Chromium refuses to start its sandbox as root
        args.append("about:blank")
        self._process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                         start_new_session=True)
        try:
            port, path = self._wait_for_port()
            self._ws = websocket.create_connection(f"ws://127.0.0.1:{port}{path}", timeout=PAGE_TIMEOUT,
                                                   suppress_origin=True, enable_multithread=False)
            self._next_id = 0
            self._session = None
            self.events = []
        except BaseException:
            self.close()
            raise

    def open_tab(self, block_network=True):
        """A new tab in a new, empty browser context (no cookies, storage or cache from earlier
        pages: each page is checked as a first-time reader meets it). ``block_network=False``
        lets http requests through (the search check's local server); all are still reported."""
        self.events.clear()
        self._context = self.call("Target.createBrowserContext")["browserContextId"]
        target = self.call("Target.createTarget", url="about:blank", browserContextId=self._context)["targetId"]
        self._session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.call(f"{domain}.enable", session=True)
        # The site must work offline: nothing may leave the machine (it is still reported).
        self.call("Network.setBlockedURLs", session=True,
                  urls=(["http://*"] if block_network else []) + ["https://*", "ws://*", "wss://*", "ftp://*"])
        self.call("Emulation.setDeviceMetricsOverride", session=True, width=WINDOW[0],
                  height=WINDOW[1], deviceScaleFactor=1, mobile=False)
        self.events.clear()

    def close_tab(self):
        self.call("Target.disposeBrowserContext", browserContextId=self._context)
        self._session = None

    def _wait_for_port(self):
        active = os.path.join(self._profile, "DevToolsActivePort")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise SiteTestError(f"Chromium exited with status {self._process.returncode} at start")
            try:
                with open(active, encoding="utf-8") as f:
                    lines = f.read().split()
                if len(lines) >= 2:
                    return int(lines[0]), lines[1]
            except FileNotFoundError:
                pass
            time.sleep(0.05)
        raise SiteTestError("Chromium did not open its DevTools port within 30 s")

    def _receive(self, deadline):
        self._ws.settimeout(max(0.01, deadline - time.monotonic()))
        return json.loads(self._ws.recv())

    def call(self, method, session=False, **params):
        """Send one command; return its result. Events that arrive meanwhile are kept."""
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = self._session
        self._ws.send(json.dumps(message))
        deadline = time.monotonic() + PAGE_TIMEOUT
        while True:
            reply = self._receive(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise SiteTestError(f"{method}: {reply['error'].get('message')}")
                return reply.get("result", {})
            if "method" in reply and reply.get("sessionId") == self._session:
                self.events.append(reply)

    def wait_for(self, method, timeout):
        """Wait for an event (one already kept counts); True when it came."""
        import websocket

        deadline = time.monotonic() + timeout
        while not any(e["method"] == method for e in self.events):
            if time.monotonic() >= deadline:
                return False
            try:
                reply = self._receive(deadline)
            except websocket.WebSocketTimeoutException:
                return False
            if "method" in reply and reply.get("sessionId") == self._session:
                self.events.append(reply)
        return True

    def close(self):
        ws = getattr(self, "_ws", None)
        if ws is not None:
            try:
                ws.close()
            except Exception:
                pass
        if self._process.poll() is None:
            try:
                os.killpg(self._process.pid, signal.SIGTERM)  # the group started above, no other
                self._process.wait(timeout=10)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                try:
                    os.killpg(self._process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self._process.wait()
        shutil.rmtree(self._profile, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


# What counts as raw TeX in rendered text (see the module's docstring), for both scripts below.
TEX_JS = r"""[
    /\$\$[^$]+?\$\$/,
    /(?<![\\$\w])\$(?=\S)[^$\n]{1,300}?(?<=\S)\$(?![\d$])/,
    /\\\(.+?\\\)/s,
    /\\\[.+?\\\]/s,
    /\\(frac|dfrac|tfrac|mathbb|mathcal|mathrm|mathbf|boldsymbol|operatorname|sqrt|sum|prod|int|log|exp|left|right|begin|end|cdot|times|leq|geq|neq|approx|sim|infty|nabla|partial|alpha|beta|gamma|theta|sigma|mu|lambda|epsilon|varepsilon|mathop|text)(?![A-Za-z])/,
  ]"""

# Runs in the page once it has loaded; resolves to {"images": [...], "tex": [...], "tables": [...]}.
PAGE_SCRIPT = r"""
(async () => {
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

  const MIN_SCALE = %(min_scale)s, MIN_NATURAL = %(min_natural)s;
  const where = el => {
    const section = el.closest("section[id]");
    return (section ? "#" + section.id + " " : "") + "<" + el.tagName.toLowerCase() + ">";
  };
  const images = [];
  const content = document.querySelector("article, main, [role=main]") || document.body;
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
""" % {"min_scale": MIN_FIGURE_SCALE, "min_natural": MIN_FIGURE_NATURAL_WIDTH, "tex": TEX_JS}

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


REDIRECT = re.compile(r"""<meta\s+http-equiv=["']?refresh["']?\s+content=["']\d+;\s*url=([^"']+)["']""", re.I)


def check_page(browser, path, root):
    """Load one page; return the list of its problems (strings), empty when it passes."""
    with open(path, encoding="utf-8", errors="replace") as f:
        head = f.read(2000)
    redirect = REDIRECT.search(head)
    if redirect and "<body" not in head.lower():
        # A bare redirect (Jupyter Book's index.html): its target is checked as a page of its own.
        target = os.path.normpath(os.path.join(os.path.dirname(path), redirect.group(1).split("#")[0]))
        if not (_inside("file://" + urllib.request.pathname2url(target), root) and os.path.isfile(target)):
            return [f"redirect to a missing page: {redirect.group(1)}"]
        return []
    browser.open_tab()
    try:
        return _check_loaded_page(browser, path, root)
    finally:
        browser.close_tab()


def _check_loaded_page(browser, path, root):
    url = "file://" + urllib.request.pathname2url(path)
    problems = []
    navigation = browser.call("Page.navigate", session=True, url=url)
    if navigation.get("errorText"):
        return [f"navigation failed: {navigation['errorText']}"]
    if not browser.wait_for("Page.loadEventFired", PAGE_TIMEOUT):
        problems.append(f"load event did not fire within {PAGE_TIMEOUT:.0f} s")
    result = browser.call("Runtime.evaluate", session=True, expression=PAGE_SCRIPT,
                          awaitPromise=True, returnByValue=True, timeout=PAGE_TIMEOUT * 1000)
    if "exceptionDetails" in result:
        problems.append("the checker's script failed: " + json.dumps(result["exceptionDetails"])[:300])
        report = {"images": [], "tex": [], "tables": []}
    else:
        report = result["result"]["value"]
    browser.wait_for("(settle)", 0.1)  # collect events that arrived with the last reply

    requested, failed = {}, []
    # Failed requests come again as network log entries; they are reported below instead.
    problems += _console_problems(browser.events, root, network_entries=False)
    for event in browser.events:
        method, params = event["method"], event.get("params", {})
        if method == "Network.requestWillBeSent":
            requested[params["requestId"]] = params["request"]["url"]
        elif method == "Network.loadingFailed":
            failed.append((params["requestId"], params.get("errorText", "")))
    outside = []
    for url in requested.values():
        if not _inside(url, root) and url not in outside:
            outside.append(url)
            problems.append(f"request outside the site: {_short(url, root)}")
    for request_id, error in failed:
        url = requested.get(request_id, "")
        if url and url not in outside and _inside(url, root) and not url.startswith(("data:", "blob:")):
            problems.append(f"request failed: {_short(url, root)} ({error})")
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
    return list(dict.fromkeys(problems))  # each problem once, in order


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def _console_problems(events, root, network_entries=True):
    """The console errors among a tab's DevTools events: uncaught exceptions, console.error and
    console.assert calls, and browser log entries of level error (network ones only when
    ``network_entries``)."""
    problems = []
    for event in events:
        method, params = event["method"], event.get("params", {})
        if method == "Runtime.exceptionThrown":
            details = params["exceptionDetails"]
            text = (details.get("exception") or {}).get("description") or details.get("text", "")
            problems.append(f"console error: uncaught {text.splitlines()[0] if text else 'exception'}"
                            f" ({_short(details.get('url', ''), root)}:{details.get('lineNumber', 0) + 1})")
        elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            text = " ".join(str(a.get("value", a.get("description", ""))) for a in params.get("args", []))
            problems.append(f"console error: console.{params['type']}: {text[:200]}")
        elif method == "Log.entryAdded":
            entry = params["entry"]
            if entry.get("level") == "error" and (network_entries or entry.get("source") != "network"):
                problems.append(f"console error: [{entry.get('source')}] {entry.get('text', '')[:200]}")
    return problems


def check_search(browser, root, terms=SEARCH_TERMS):
    """Search the site for each term with its own search page, served from a local http server;
    return the problems (none when there is no search.html)."""
    if not os.path.isfile(os.path.join(root, "search.html")):
        return []
    handler = functools.partial(_QuietHandler, directory=root)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    problems = []
    try:
        for term in terms:
            browser.open_tab(block_network=False)
            try:
                url = base + "search.html?q=" + urllib.parse.quote(term)
                browser.call("Page.navigate", session=True, url=url)
                browser.wait_for("Page.loadEventFired", PAGE_TIMEOUT)
                result = browser.call("Runtime.evaluate", session=True, expression=SEARCH_SCRIPT,
                                      awaitPromise=True, returnByValue=True, timeout=PAGE_TIMEOUT * 1000 + 5000)
                browser.wait_for("(settle)", 0.1)
                if "exceptionDetails" in result:
                    problems.append(f"search for {term!r}: the checker's script failed")
                    continue
                found = result["result"]["value"]
                if not found["results"]:
                    problems.append(f"search for {term!r} found nothing ({found['status'] or 'no status'})")
                elif found["snippets"] < found["results"]:
                    problems.append(f"search for {term!r}: {found['results'] - found['snippets']} of "
                                    f"{found['results']} results have no snippet")
                for text in found["tex"]:
                    problems.append(f"raw TeX in a search snippet for {term!r}: \"{text}\"")
                problems += [f"search for {term!r}: {p}" for p in _console_problems(browser.events, root)]
                for event in browser.events:
                    if event["method"] == "Network.requestWillBeSent":
                        requested = event["params"]["request"]["url"]
                        if not requested.startswith((base, "data:", "blob:", "about:")):
                            problems.append(f"search for {term!r}: request outside the site: {requested[:160]}")
            finally:
                browser.close_tab()
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
