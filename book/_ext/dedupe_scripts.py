"""A local Sphinx extension: each page loads every script once.

sphinx-thebe (which Jupyter Book 1 always loads) adds its inline configuration script at every
``env-before-read-docs`` event, which fires more than once in a full build, so pages carried
``const THEBE_JS_URL = ...`` twice and the browser logged "Identifier 'THEBE_JS_URL' has already
been declared". This drops repeated entries (same file, same attributes, same inline body) from
each page's script list before the page is written.
"""


def _key(script):
    attributes = getattr(script, "attributes", {}) or {}
    # An inline script's filename is None or "" depending on who added it.
    filename = getattr(script, "filename", script) or ""
    return str(filename), tuple(sorted((k, str(v)) for k, v in attributes.items()))


def _dedupe(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, kept = set(), []
    for script in scripts:
        key = _key(script)
        if key not in seen:
            seen.add(key)
            kept.append(script)
    context["script_files"] = kept


def setup(app):
    app.connect("html-page-context", _dedupe, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
