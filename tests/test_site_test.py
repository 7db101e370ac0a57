"""The site test (tools/site_test.py, `make site-test`) fails on deliberately broken pages and passes
on clean ones. Tiny HTML pages are written to a temporary folder and opened in headless Chromium
(through Playwright); the checker's pure logic is tested without a browser."""

import base64
import importlib.util
import io
import os
import struct
import zlib

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_spec = importlib.util.spec_from_file_location("site_test", os.path.join(ROOT, "tools", "site_test.py"))
site_test = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(site_test)

try:
    import playwright.sync_api  # noqa: F401  (the `test` extra)
    _missing = None if site_test.find_chromium() else (
        "Chromium is not installed (apt-get install -y chromium): the site test needs a real browser")
except ImportError:
    _missing = "playwright is not installed (make install)"
needs_browser = pytest.mark.skipif(_missing is not None, reason=_missing or "")


def _png(width, height):
    """A grey PNG of the given size, written by hand (no imaging library needed)."""
    row = b"\x00" + b"\x80" * width
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(row * height)) + chunk(b"IEND", b""))


# A figure embedded in the page (as notebook outputs can be), 400 px wide.
DATA_FIGURE = "data:image/png;base64," + base64.b64encode(_png(400, 30)).decode("ascii")
# The book's own script that makes every figure a link to its image.
ZOOM = '<script src="_static/figure_zoom.js"></script>'


def _page(body, head=""):
    # A phone lays out a page without this viewport tag 980 px wide; the book's theme has it.
    return ("<!DOCTYPE html><html><head><meta charset='utf-8'><title>t</title>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"{head}</head><body>{body}</body></html>")


# Each broken page (its body, or a whole page) and the start of the problem the site test must
# report for it.
BROKEN = {
    "raw_tex.html": ("<p>The loss is $x^2$ at the optimum.</p>", "raw TeX"),
    "raw_frac.html": ("<p>The optimum is \\frac{p}{p+q}.</p>", "raw TeX"),
    "pipe_table.html": ("<p>| a | b |</p>", "table as text"),
    "missing_image.html": ("<p><img src='no-such.png' alt='gone'></p>", "image failed"),
    "script_error.html": ("<script>notDefinedAnywhere();</script><p>text</p>", "console error"),
    "console_error.html": ("<script>console.error('broken');</script><p>text</p>", "console error"),
    "outside.html": ("<script src='http://example.com/x.js'></script><p>text</p>",
                     "request outside the site"),
    "outside_socket.html": ("<script>new WebSocket('wss://example.com/live');</script><p>text</p>",
                            "request outside the site"),
    "narrow_figure.html": ("<a href='wide.png'><img src='wide.png' style='width: 300px'></a>",
                           "figure too narrow"),
    "bad_redirect.html": (None, "redirect to a missing page"),
    # On the phone.
    "wide_element.html": ("<p>text</p><div style='width: 2000px'>a wide box</div>", "page scrolls sideways"),
    "no_viewport.html": ("<!DOCTYPE html><html><head><title>t</title></head><body><p>text</p></body></html>",
                         "page scrolls sideways"),
    "unlinked_figure.html": ("<p><img src='wide.png' style='max-width: 100%'></p>",
                             "figure cannot be opened at full size"),
    "unlinked_data_figure.html": (f"<p><img src='{DATA_FIGURE}' style='max-width: 100%'></p>",
                                  "figure cannot be opened at full size"),
    "wrong_link.html": ("<p><a href='other.html'><img src='wide.png' style='max-width: 100%'></a></p>",
                        "figure cannot be opened at full size"),
    # Linked to its image, but a script swallows the tap.
    "dead_link.html": ("<p><a href='wide.png' onclick='event.preventDefault()'>"
                       "<img src='wide.png' style='max-width: 100%'></a></p>",
                       "figure cannot be opened at full size"),
}

# Dollars, pipes and TeX inside code, a figure shown at its own size (linked to its image by the
# book's script, and opened by a tap), an image that is a button to another site, wide content that scrolls inside its own box and a wide
# bar fixed to the screen are fine.
CLEAN = _page(
    "<h1>A clean page</h1>"
    "<p>Prose with <code>$x^2$</code>, <code>\\frac{a}{b}</code> and a price of $5 and $10.</p>"
    "<pre style='overflow-x: auto'>| a | b |\n|---|---|\n| 1 | 2 |" + " wide" * 300 + "</pre>"
    "<div style='overflow-x: auto'><table><tr><th>a</th><th>b</th></tr>"
    "<tr><td>1</td><td style='min-width: 1500px'>2</td></tr></table></div>"
    "<p><img src='wide.png' style='max-width: 100%'></p>"
    "<p><a href='https://colab.research.google.com/'><img src='wide.png' style='max-width: 100%'></a></p>"
    "<div style='position: fixed; top: 0; left: 0; width: 1500px; height: 2px'></div>"
    "<script>console.log('fine');</script>", head=ZOOM)
# The same for a figure embedded as a data: URI: the script links it to a blob: copy.
CLEAN_DATA = _page(f"<p>An embedded figure.</p><p><img src='{DATA_FIGURE}' style='max-width: 100%'></p>",
                   head=ZOOM)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("site")
    (root / "_static").mkdir()
    with open(os.path.join(ROOT, "book", "_static", "figure_zoom.js"), encoding="utf-8") as f:
        (root / "_static" / "figure_zoom.js").write_text(f.read(), encoding="utf-8")
    (root / "wide.png").write_bytes(_png(1000, 40))
    (root / "other.html").write_text(_page("<p>another page</p>"), encoding="utf-8")
    (root / "clean.html").write_text(CLEAN, encoding="utf-8")
    (root / "clean_data.html").write_text(CLEAN_DATA, encoding="utf-8")
    (root / "index.html").write_text('<meta http-equiv="Refresh" content="0; url=clean.html" />')
    for name, (body, _) in BROKEN.items():
        if body is not None:
            page = body if body.startswith("<!DOCTYPE") else _page(body)
            (root / name).write_text(page, encoding="utf-8")
    (root / "bad_redirect.html").write_text('<meta http-equiv="Refresh" content="0; url=gone.html" />')
    return root


@pytest.fixture(scope="module")
def checked(site):
    """Every page of the little site, checked in one browser session: ({page: problems}, output)."""
    out = io.StringIO()
    results = site_test.check_site(str(site), out=out)
    return results, out.getvalue()


@needs_browser
def test_the_clean_pages_pass(checked):
    results, output = checked
    assert results["clean.html"] == [], output
    assert results["clean_data.html"] == [], output
    assert results["other.html"] == [], output
    assert results["index.html"] == [], output  # a redirect to a page that exists
    assert "ok    clean.html" in output


@needs_browser
@pytest.mark.parametrize("name", sorted(BROKEN))
def test_a_broken_page_fails_with_the_right_problem(checked, name):
    results, output = checked
    expected = BROKEN[name][1]
    assert any(p.startswith(expected) for p in results[name]), output
    assert f"FAIL  {name}" in output


@needs_browser
def test_the_outside_requests_are_named_and_blocked(checked):
    results, _ = checked
    assert "request outside the site: http://example.com/x.js" in results["outside.html"]
    assert "request outside the site: wss://example.com/live" in results["outside_socket.html"]


@needs_browser
def test_the_phone_problems_say_what_is_wrong(checked):
    results, output = checked
    [sideways] = [p for p in results["wide_element.html"] if p.startswith("page scrolls sideways")]
    assert "<div>" in sideways and "2000 px wide" in sideways, sideways
    assert "no <meta name=\"viewport\">" in " ".join(results["no_viewport.html"]), output
    assert "not inside a link" in " ".join(results["unlinked_figure.html"]), output
    assert "other.html, not to the image" in " ".join(results["wrong_link.html"]), output
    assert "tapping wide.png did not open it" in " ".join(results["dead_link.html"]), output
    # Only the phone checks fail these pages (the figures fit the desktop window).
    for name in ("unlinked_figure.html", "wrong_link.html", "dead_link.html", "wide_element.html"):
        assert len(results[name]) == 1, results[name]


@needs_browser
def test_the_summary_and_exit_status(site, capsys):
    assert site_test.main([str(site), "clean.html"]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1] == "site-test: 1 page checked, all OK"
    assert site_test.main([str(site), "clean.html", "raw_tex.html"]) == 1
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last.startswith("site-test: 1 of 2 pages FAILED") and "raw_tex.html" in last


def test_no_site_is_a_clear_error(tmp_path, capsys):
    assert site_test.main([str(tmp_path / "nowhere")]) == 2
    assert "no site at" in capsys.readouterr().err


def test_what_is_inside_the_site(tmp_path):
    root = str(tmp_path)
    assert site_test._inside(f"file://{root}/a/b.html", root)
    assert site_test._inside("data:image/png;base64,xyz", root)
    assert site_test._inside("blob:null/1234", root)
    assert not site_test._inside(f"file://{root}-other/b.html", root)
    assert not site_test._inside("file:///etc/passwd", root)
    assert not site_test._inside("https://example.com/", root)
    assert site_test._short(f"file://{root}/a/b.html", root) == os.path.join("a", "b.html")


def test_console_problems_leave_failed_requests_to_their_own_check():
    events = [{"kind": "exception", "text": "ReferenceError: x is not defined", "url": "file:///s/a.js", "line": 3},
              {"kind": "console", "type": "error", "text": "broken"},
              {"kind": "log", "type": "error", "text": "Failed to load resource: net::ERR_FILE_NOT_FOUND"},
              {"kind": "log", "type": "error", "text": "Refused to frame"}]
    problems = site_test._console_problems(events, "/s", network_entries=False)
    assert problems == ["console error: uncaught ReferenceError: x is not defined (a.js:3)",
                        "console error: console.error: broken",
                        "console error: [browser] Refused to frame"]
    assert len(site_test._console_problems(events, "/s")) == 4


def test_phone_reports_become_problems():
    fits = {"width": 390, "widest": None, "viewport_meta": True, "figures": []}
    assert site_test._sideways_problems(fits) == []
    assert site_test._sideways_problems(dict(fits, width=391)) == []  # the 1 px of tolerance
    wide = dict(fits, width=2016, widest={"where": "#s <div.output>", "right": 2008, "width": 2000})
    [problem] = site_test._sideways_problems(wide)
    assert problem.startswith("page scrolls sideways at 390 px: it is 2016 px wide") and "<div.output>" in problem
    figure = {"src": "_images/a.png", "where": "#s <img>", "href": None, "opens": False}
    assert site_test._figure_link_problems([dict(figure, opens=True)]) == []
    [problem] = site_test._figure_link_problems([figure])
    assert problem == ("figure cannot be opened at full size in #s <img>: a.png: "
                       "it is not inside a link to its image")


# A stand-in for Sphinx's search page: it cuts its one result's snippet from a page whose formula
# is TeX (as Sphinx's searchtools.js does with htmlToText), optionally with the book's
# book/_static/search_math.js loaded after it, as the built site loads it.
FAKE_SEARCH = r"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>search</title><link rel="icon" href="data:,">
<script>const Search = {htmlToText: (html, anchor) => new DOMParser().parseFromString(html, "text/html").body.textContent};</script>
%s
</head><body><div id="search-results"></div>
<script>
document.addEventListener("DOMContentLoaded", () => {
  const results = document.getElementById("search-results");
  const summary = document.createElement("p");
  summary.className = "search-summary";
  summary.innerText = "Search finished, found 1 page(s) matching the search query.";
  const item = document.createElement("li");
  const context = document.createElement("p");
  context.className = "context";
  context.textContent = Search.htmlToText('<p>the loss settles at <span class="math notranslate nohighlight">\\(\\ln 2 = -\\log \\frac{1}{2}\\)</span> here</p>');
  item.appendChild(context);
  const list = document.createElement("ul");
  list.appendChild(item);
  results.append(summary, list);
});
</script></body></html>"""


@needs_browser
@pytest.mark.parametrize("with_fix", [False, True])
def test_search_snippets_are_checked_for_tex_and_the_book_script_removes_it(tmp_path, with_fix):
    (tmp_path / "_static").mkdir()
    script = ""
    if with_fix:
        source = os.path.join(ROOT, "book", "_static", "search_math.js")
        (tmp_path / "_static" / "search_math.js").write_text(open(source, encoding="utf-8").read(), encoding="utf-8")
        script = '<script src="_static/search_math.js"></script>'
    (tmp_path / "search.html").write_text(FAKE_SEARCH % script, encoding="utf-8")
    with site_test.Browser(site_test.ensure_chromium()) as browser:
        problems = site_test.check_search(browser, str(tmp_path), terms=("loss",))
    tex = [p for p in problems if p.startswith("raw TeX in a search snippet")]
    if with_fix:
        assert problems == []
    else:
        assert tex and "\\ln" in tex[0], problems
