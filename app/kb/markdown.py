"""Article Markdown → safe HTML: markdown-it renders (raw HTML escaped), nh3 sanitizes what is left."""

import functools

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


@functools.lru_cache(maxsize=2048)
def plain_text(source, limit=None):
    """Markdown source as plain text (snippets in search results and suggestions): the text
    markdown-it reads, so "**Invoices**." stays "Invoices." and a table loses its rules."""
    source = source or ""
    if limit:
        # A snippet needs its first blocks only: parsing a long article whole took milliseconds.
        end = source.find("\n\n", 4 * limit)
        source = source if end < 0 else source[:end]
    parts = []
    for token in _md.parse(source):
        if token.type == "inline":
            for child in token.children or ():
                if child.type in ("text", "code_inline"):
                    parts.append(child.content)
                elif child.type in ("softbreak", "hardbreak"):
                    parts.append(" ")
            parts.append(" ")
        elif token.type in ("code_block", "fence"):
            parts.append(f" {token.content} ")
    text = " ".join("".join(parts).split())
    if limit and len(text) > limit:
        cut = text[:limit].rsplit(" ", 1)[0]
        return (cut or text[:limit]) + "…"
    return text
