"""The site test (tools/site_test.py, `make site-test`) fails on deliberately broken pages and passes
on a clean one. Tiny HTML pages are written to a temporary folder and opened in headless Chromium."""

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
    import websocket  # noqa: F401  (websocket-client, the `test` extra)
    _missing = None if site_test.find_chromium() else (
        "Chromium is not installed (apt-get install -y chromium): the site test needs a real browser")
except ImportError:
    _missing = "websocket-client is not installed (make install)"
pytestmark = pytest.mark.skipif(_missing is not None, reason=_missing or "")


def _png(width, height):
    """A grey PNG of the given size, written by hand (no imaging library needed)."""
    row = b"\x00" + b"\x80" * width
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(row * height)) + chunk(b"IEND", b""))


def _page(body):
    return f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>t</title></head><body>{body}</body></html>"


# Each broken page and the start of the problem the site test must report for it.
BROKEN = {
    "raw_tex.html": ("<p>The loss is $x^2$ at the optimum.</p>", "raw TeX"),
    "raw_frac.html": ("<p>The optimum is \\frac{p}{p+q}.</p>", "raw TeX"),
    "pipe_table.html": ("<p>| a | b |</p>", "table as text"),
    "missing_image.html": ("<p><img src='no-such.png' alt='gone'></p>", "image failed"),
    "script_error.html": ("<script>notDefinedAnywhere();</script><p>text</p>", "console error"),
    "console_error.html": ("<script>console.error('broken');</script><p>text</p>", "console error"),
    "outside.html": ("<script src='http://example.com/x.js'></script><p>text</p>",
                     "request outside the site"),
    "narrow_figure.html": ("<img src='wide.png' style='width: 300px'>", "figure too narrow"),
    "bad_redirect.html": (None, "redirect to a missing page"),
}

# Dollars, pipes and TeX inside code, and a figure shown at its own size, are fine.
CLEAN = _page(
    "<h1>A clean page</h1>"
    "<p>Prose with <code>$x^2$</code>, <code>\\frac{a}{b}</code> and a price of $5 and $10.</p>"
    "<pre>| a | b |\n|---|---|\n| 1 | 2 |</pre>"
    "<table><tr><th>a</th><th>b</th></tr><tr><td>1</td><td>2</td></tr></table>"
    "<p><img src='wide.png' style='max-width: 100%'></p>"
    "<script>console.log('fine');</script>")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("site")
    (root / "wide.png").write_bytes(_png(1000, 40))
    (root / "clean.html").write_text(CLEAN, encoding="utf-8")
    (root / "index.html").write_text('<meta http-equiv="Refresh" content="0; url=clean.html" />')
    for name, (body, _) in BROKEN.items():
        if body is not None:
            (root / name).write_text(_page(body), encoding="utf-8")
    (root / "bad_redirect.html").write_text('<meta http-equiv="Refresh" content="0; url=gone.html" />')
    return root


@pytest.fixture(scope="module")
def checked(site):
    """Every page of the little site, checked in one browser session: ({page: problems}, output)."""
    out = io.StringIO()
    results = site_test.check_site(str(site), out=out)
    return results, out.getvalue()


def test_the_clean_page_passes(checked):
    results, output = checked
    assert results["clean.html"] == [], output
    assert results["index.html"] == [], output  # a redirect to a page that exists
    assert "ok    clean.html" in output


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_a_broken_page_fails_with_the_right_problem(checked, name):
    results, output = checked
    expected = BROKEN[name][1]
    assert any(p.startswith(expected) for p in results[name]), output
    assert f"FAIL  {name}" in output


def test_the_outside_request_is_named_and_blocked(checked):
    results, _ = checked
    assert "request outside the site: http://example.com/x.js" in results["outside.html"]


def test_the_summary_and_exit_status(site, capsys):
    assert site_test.main([str(site), "clean.html"]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1] == "site-test: 1 page checked, all OK"
    assert site_test.main([str(site), "clean.html", "raw_tex.html"]) == 1
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last.startswith("site-test: 1 of 2 pages FAILED") and "raw_tex.html" in last


def test_no_site_is_a_clear_error(tmp_path, capsys):
    assert site_test.main([str(tmp_path / "nowhere")]) == 2
    assert "no site at" in capsys.readouterr().err


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
