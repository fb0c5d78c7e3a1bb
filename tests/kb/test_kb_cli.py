"""`flask kb import` and `flask kb search`, exactly as DESIGN.md's contract says."""

import json

import pytest
from sqlalchemy import func, select

from app.models.kb import KbArticle, KbCategory
from app.models.kb_index import KbArticleIndex


def write(tmp_path, content, name="articles.csv"):
    path = tmp_path / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return str(path)


GOOD = ('title,body,category,locale\n'
        '"Reset your password","Open the sign-in page and click **Forgot password**.",Account,en\n'
        '"Как сбросить пароль","Откройте страницу входа и нажмите «Забыли пароль».",Account,RU\n'
        '"Refunds","Refunds take 5-10 business days.\nThey go to the card you paid with.",Billing,\n')


def test_import_publishes_creates_categories_and_indexes_before_exiting(runner, db, tmp_path):
    result = runner.invoke(args=["kb", "import", write(tmp_path, GOOD)])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "imported 3"
    articles = db.session.scalars(select(KbArticle).order_by(KbArticle.id)).all()
    assert [(a.title, a.locale, a.status, a.visibility) for a in articles] == [
        ("Reset your password", "en", "published", "public"), ("Как сбросить пароль", "ru", "published", "public"),
        ("Refunds", "en", "published", "public")]
    assert sorted(c.name for c in db.session.scalars(select(KbCategory))) == ["Account", "Billing"]
    assert "\n" in articles[2].body
    # Indexed already: no job had to run.
    assert db.session.scalar(select(func.count()).select_from(KbArticleIndex)) == 3
    found = runner.invoke(args=["kb", "search", "forgot my password", "--json"])
    assert json.loads(found.stdout)[0]["title"] == "Reset your password"


def test_import_reuses_existing_categories(runner, db, tmp_path):
    db.session.add(KbCategory(name="Billing", slug="billing", description="", position=1, names={}))
    db.session.commit()
    result = runner.invoke(args=["kb", "import", write(tmp_path, "title,body,category\nA,Text,billing\n")])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(func.count(KbCategory.id))) == 1


@pytest.mark.parametrize("content, expected", [
    ("title,body,category,locale\nOk,Fine,,en\n,No title,,en\nNo body,,,en\nBad,Locale,,xx yy\n",
     ["line 3: the title is empty", "line 4: the body is empty", "line 5: locale 'xx yy' is not a language code"]),
    ("title,body,colour\nA,B,red\n", ["line 1: unknown column 'colour'"]),
    ("title,category\nA,B\n", ["line 1: the header has no body column"]),
    ("title,body\nA,B,C\n", ["line 2: expected 2 fields like the header, found 3"]),
    ("title,body\n" + "A," + "x" * 100_001 + "\n", ["line 2: the body is too long"]),
    ("title,body\n\"A,B\n", ["line 2: malformed CSV"]),
    ("", ["the file is empty"]),
    (b"title,body\nA,\xff\xfe\n", ["line 2: the file is not UTF-8"]),
])
def test_bad_files_import_nothing_and_name_each_line(runner, db, tmp_path, content, expected):
    result = runner.invoke(args=["kb", "import", write(tmp_path, content)])
    assert result.exit_code == 1
    for message in expected:
        assert message in result.stderr
    assert "Nothing was imported." in result.stderr
    assert result.stdout == ""
    assert db.session.scalar(select(func.count(KbArticle.id))) == 0
    assert db.session.scalar(select(func.count(KbCategory.id))) == 0


def test_header_only_imports_nothing_and_succeeds(runner, tmp_path):
    result = runner.invoke(args=["kb", "import", write(tmp_path, "title,body,category,locale\n")])
    assert result.exit_code == 0 and result.stdout.strip() == "imported 0"


def test_missing_file_is_a_usage_error(runner, tmp_path):
    assert runner.invoke(args=["kb", "import", str(tmp_path / "nope.csv")]).exit_code == 2


@pytest.fixture
def imported(runner, tmp_path, db):
    result = runner.invoke(args=["kb", "import", write(tmp_path, GOOD)])
    assert result.exit_code == 0, result.output
    # An internal article and a draft, indexed too: the public search must still never show them.
    from app.kb import engine

    internal = KbArticle(title="Password override for agents", body="Staff can force a password reset.",
                         locale="en", status="published", visibility="internal", tags=[])
    draft = KbArticle(title="Password policy draft", body="Passwords need 12 characters.", locale="en",
                      status="draft", visibility="public", tags=[])
    db.session.add_all([internal, draft])
    db.session.commit()
    engine.index_articles([internal.id, draft.id])
    return {"internal": internal.id, "draft": draft.id}


def test_search_json_contract(runner, imported):
    result = runner.invoke(args=["kb", "search", "забыл пароль", "--locale", "ru_ru", "--limit", "2", "--json"])
    assert result.exit_code == 0, result.output
    results = json.loads(result.stdout)
    assert 1 <= len(results) <= 2
    assert all(list(r) == ["id", "title", "locale", "score"] for r in results)
    assert results[0]["title"] == "Как сбросить пароль" and results[0]["locale"] == "ru"
    assert all(a["score"] >= b["score"] for a, b in zip(results, results[1:]))


def test_search_never_returns_internal_or_draft_articles(runner, imported):
    results = json.loads(runner.invoke(args=["kb", "search", "password", "--limit", "100", "--json"]).stdout)
    ids = {r["id"] for r in results}
    assert imported["internal"] not in ids and imported["draft"] not in ids


def test_search_without_json_prints_a_readable_list(runner, imported):
    result = runner.invoke(args=["kb", "search", "refund"])
    assert result.exit_code == 0 and "Refunds" in result.stdout and "#" in result.stdout


def test_search_reads_one_query_per_line_from_stdin(runner, imported):
    long_query = "refund " * 200  # 1,400 characters
    result = runner.invoke(args=["kb", "search", "-", "--json"],
                           input=f"forgot my password\n\n{long_query}\n   \nrefund\n")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 5
    parsed = [json.loads(line) for line in lines]
    assert parsed[0][0]["title"] == "Reset your password"
    assert parsed[1] == [] and parsed[3] == []
    assert parsed[2] and parsed[4][0]["title"] == "Refunds"
    assert "line 3" in result.stderr and "1000" in result.stderr


def test_long_single_query_is_cut_with_a_warning(runner, imported):
    result = runner.invoke(args=["kb", "search", "refund " * 200, "--json"])
    assert result.exit_code == 0
    assert json.loads(result.stdout)[0]["title"] == "Refunds"
    assert "cut" in result.stderr


@pytest.mark.parametrize("args", [["--limit", "101"], ["--limit", "0"], ["--limit", "many"],
                                  ["--locale", "not a locale"]])
def test_bad_options_are_usage_errors(runner, args):
    result = runner.invoke(args=["kb", "search", "refund", "--json", *args])
    assert result.exit_code == 2
    assert result.stdout == ""


def test_blank_query_prints_an_empty_list(runner, imported):
    result = runner.invoke(args=["kb", "search", "   ", "--json"])
    assert result.exit_code == 0 and json.loads(result.stdout) == []


def test_reindex_rebuilds_every_published_article(runner, db, tmp_path):
    assert runner.invoke(args=["kb", "import", write(tmp_path, GOOD)]).exit_code == 0
    db.session.execute(KbArticleIndex.__table__.update().values(terms=""))
    db.session.commit()
    result = runner.invoke(args=["kb", "reindex"])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "indexed 3"
    assert "password" in db.session.scalar(select(KbArticleIndex.terms).where(KbArticleIndex.title == "Reset your password"))
