// Every figure opens at full size with one tap. On a phone the course's figures (Matplotlib PNGs,
// often 1,000 px wide or more) are shrunk to the column, and their titles and labels with them;
// this wraps each image of the page's content that is not already inside a link in
// <a class="figure-zoom" href="(the image's own file)">, so a tap shows the image alone, where the
// reader can zoom into it. An image embedded as a data: URI links to a blob: copy of its bytes
// instead (browsers refuse to open data: URIs as a page). Loaded on every page (html_js_files);
// tools/site_test.py checks the links at phone width.
(function () {
  function dataToBlobUrl(uri) {
    const comma = uri.indexOf(",");
    const header = uri.slice(5, comma);  // after "data:"
    const type = header.split(";")[0] || "application/octet-stream";
    const body = uri.slice(comma + 1);
    let bytes;
    if (/;base64$/i.test(header)) {
      const text = atob(body);
      bytes = new Uint8Array(text.length);
      for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
    } else {
      bytes = new TextEncoder().encode(decodeURIComponent(body));
    }
    return URL.createObjectURL(new Blob([bytes], {type}));
  }

  function wrap() {
    // The same content area that the site test looks in.
    const content = document.querySelector("article, main, [role=main]") || document.body;
    for (const img of content.querySelectorAll("img")) {
      const src = img.getAttribute("src");
      if (!src || img.closest("a")) continue;
      const link = document.createElement("a");
      link.className = "figure-zoom";
      link.href = src.startsWith("data:") ? dataToBlobUrl(src) : src;
      link.title = "Open the figure at full size";
      img.replaceWith(link);
      link.appendChild(img);
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", wrap);
  else wrap();
})();
