"""Article Markdown → safe HTML: markdown-it renders (raw HTML escaped), nh3 sanitizes what is left."""

import functools
import re

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

# Raw HTML in the source is shown as text, never interpreted; tables and strikethrough are on.
_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable(["table", "strikethrough"])

_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "del", "s", "code", "pre", "blockquote",
    "ul", "ol", "li", "a", "img", "table", "thead", "tbody", "tr", "th", "td",
}
_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "ol": {"start"}, "th": {"align"}, "td": {"align"}}
_SCHEMES = {"http", "https", "mailto"}


def render_markdown(source):
    """Sanitized HTML for an article body (a Markup, safe to put in a template as is)."""
    html = _md.render(source or "")
    clean = nh3.clean(html, tags=_TAGS, attributes=_ATTRIBUTES, url_schemes=_SCHEMES,
                      link_rel="noopener noreferrer nofollow")
    return Markup(clean)


_BLANK_LINE = re.compile(r"\r?\n[ \t]*\r?\n")
_SPACE = re.compile(r"\s")


def plain_text(source, limit=None):
    """Markdown source as plain text (snippets in search results and suggestions): the text
    markdown-it reads, so "**Invoices**." stays "Invoices." and a table loses its rules."""
    source = source or ""
    cut_short = False
    if limit:
        # A snippet needs its first blocks only: parsing a long article whole took milliseconds.
        # A block is cut whole where one ends, else (one huge paragraph) at a space well past it.
        end = _BLANK_LINE.search(source, 4 * limit, 16 * limit)
        if end is None and len(source) > 16 * limit:
            end = _SPACE.search(source, 16 * limit)
        if end is not None:
            source, cut_short = source[:end.start()], True
    return _snippet(source, limit, cut_short)


@functools.lru_cache(maxsize=1024)  # keyed on the few blocks read, not on whole articles
def _snippet(source, limit, cut_short):
    text = " ".join(" ".join(text_lines(source, code=True)).split())
    if limit and len(text) > limit:
        cut = text[:limit].rsplit(" ", 1)[0]
        return (cut or text[:limit]) + "…"
    return text + "…" if cut_short and text else text


def text_lines(source, code=False):
    """The lines of text markdown-it reads in `source`: a heading, a list item, a line of a
    paragraph or a table row each (the row's cells side by side). Markup is gone: emphasis marks,
    link targets, images, rules, a table's |---| row; fenced and indented code only with `code`."""
    lines, row = [], None
    for token in _md.parse(source or ""):
        if token.type == "tr_open":
            row = []
        elif token.type == "tr_close":
            lines.append("  ".join(cell for cell in row if cell))
            row = None
        elif token.type == "inline":
            parts = [""]
            for child in token.children or ():
                if child.type in ("text", "code_inline"):
                    parts[-1] += child.content
                elif child.type in ("softbreak", "hardbreak"):
                    parts.append("")
            parts = [part.strip() for part in parts]
            if row is not None:
                row.append(" ".join(part for part in parts if part))
            else:
                lines.extend(part for part in parts if part)
        elif code and token.type in ("code_block", "fence"):
            lines.extend(line.strip() for line in token.content.splitlines() if line.strip())
    return [line for line in lines if line]
