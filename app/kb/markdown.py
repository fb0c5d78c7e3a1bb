"""Article Markdown → safe HTML: markdown-it renders (raw HTML escaped), nh3 sanitizes what is left."""

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


_MARKS = re.compile(r"[`*_>#|~\[\]]+|\(https?://[^)]*\)|!\[")


def plain_text(source, limit=None):
    """Markdown source as plain text (snippets in search results and suggestions)."""
    text = _MARKS.sub(" ", source or "")
    text = " ".join(text.split())
    if limit and len(text) > limit:
        cut = text[:limit].rsplit(" ", 1)[0]
        return (cut or text[:limit]) + "…"
    return text
