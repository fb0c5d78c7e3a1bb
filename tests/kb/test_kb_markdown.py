"""Article Markdown is rendered and sanitized: script in an article never runs."""

import pytest

from app.kb.markdown import plain_text, render_markdown


@pytest.mark.parametrize("source, forbidden", [
    ("<script>alert(1)</script>", "<script"),
    ("<img src=x onerror=alert(1)>", "<img src=\"x\""),
    ("[click](javascript:alert(1))", "href=\"javascript"),
    ("[click](JaVaScRiPt:alert(1))", "href=\"javascript"),
    ("<a href=\"https://x.example\" onclick=\"steal()\">x</a>", "<a href"),
    ("<iframe src=\"https://evil.example\"></iframe>", "<iframe"),
    ("![x](data:text/html;base64,PHNjcmlwdD4=)", "src=\"data:"),
    ("<svg onload=alert(1)>", "<svg"),
])
def test_dangerous_markup_is_never_rendered_as_html(source, forbidden):
    """Raw HTML is shown as text (escaped), dangerous links are dropped: no tag or attribute survives."""
    html = str(render_markdown(source)).lower()
    assert forbidden.lower() not in html


def test_markdown_features_survive_sanitizing():
    html = str(render_markdown("# Title\n\n**bold** *it* `code`\n\n- one\n- two\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n"
                               "[docs](https://docs.example/x)"))
    assert "<h1>Title</h1>" in html and "<strong>bold</strong>" in html and "<em>it</em>" in html
    assert "<code>code</code>" in html and "<li>one</li>" in html and "<td>1</td>" in html
    assert '<a href="https://docs.example/x" rel="noopener noreferrer nofollow">docs</a>' in html


def test_plain_text_snippets_drop_markup_and_are_cut_on_a_word():
    assert plain_text("# Reset **your** [password](https://x.example)") == "Reset your password"
    text = plain_text("word " * 100, limit=22)
    assert text.endswith("…") and len(text) <= 23 and "wor…" not in text


def test_plain_text_reads_like_the_rendered_article():
    # Punctuation stays against the bold word; a table keeps its cells, not its rules.
    assert plain_text("Open **Settings → Billing**. Choose *Download*, then `PDF`.") == \
        "Open Settings → Billing. Choose Download, then PDF."
    assert plain_text("| Role | Can do |\n|---|---|\n| Viewer | read |") == "Role Can do Viewer read"
    assert plain_text("snake_case_name and 2 * 3") == "snake_case_name and 2 * 3"
    assert plain_text("See ![a chart](https://x.example/c.png) below <b>now</b>") == "See below <b>now</b>"


@pytest.mark.parametrize("newline", ["\n", "\r\n"])  # a browser's textarea sends CRLF
def test_a_snippet_of_a_long_article_reads_its_first_blocks_only(monkeypatch, newline):
    from app.kb import markdown

    read = []
    parse = markdown._md.parse
    monkeypatch.setattr(markdown._md, "parse", lambda source: read.append(len(source)) or parse(source))
    paragraphs = [f"Paragraph {i} with *more* words." for i in range(5000)]
    body = newline.join(["First paragraph **here**.", ""] + [line for p in paragraphs for line in (p, "")])
    assert plain_text(body, limit=40) == "First paragraph here. Paragraph 0 with…"
    assert read and read[-1] < 40 * 16
    # Cut early, a short text still says there is more; one huge paragraph is cut too.
    assert plain_text("[x](https://docs.example/" + "a" * 300 + ")\n\nMore text.", limit=40) == "x…"
    assert plain_text("word " * 10_000, limit=40).endswith("…") and read[-1] < 40 * 17


def test_article_page_escapes_script_and_sends_a_csp(client, make_article):
    article = make_article("Scripted", "Hello <script>alert('x')</script>\n\n[x](javascript:alert(1))")
    response = client.get(f"/kb/articles/{article.id}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<script>alert" not in page and "&lt;script&gt;alert" in page
    assert 'href="javascript' not in page
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]


def test_editor_preview_returns_sanitized_html(client, login, make_user):
    login(make_user("agent"))
    response = client.post("/kb/manage/preview", data={"body": "**hi** <script>alert(1)</script>"})
    assert response.status_code == 200
    html = response.get_json()["html"]
    assert "<strong>hi</strong>" in html and "<script" not in html
    assert client.post("/kb/manage/preview", data={}).status_code == 400
    too_long = client.post("/kb/manage/preview", data={"body": "x" * 100_001})
    assert too_long.status_code == 422 and "100000" in too_long.get_json()["error"]["message"]
