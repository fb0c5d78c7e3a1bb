"""`flask tickets import`: output formats, all-or-nothing with `line N: reason`, normalization."""

import json
import time
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from app.models import JobRecord, Message, OutboundMail, Ticket, User
from app.support.search import ticket_ids_matching

HEADER = "subject,body,requester_email,organization,created_at,priority,language\n"


@pytest.fixture
def import_csv(runner, tmp_path):
    def run(text, *options, encoding="utf-8"):
        path = tmp_path / "tickets.csv"
        path.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
        return runner.invoke(args=["tickets", "import", str(path), *options])

    return run


def _count(db, model):
    return db.session.scalar(select(func.count()).select_from(model))


def _tickets(db):
    db.session.expire_all()
    return db.session.scalars(select(Ticket).order_by(Ticket.id)).all()


def test_import_prints_count_and_writes_complete_tickets(import_csv, db, make_org):
    make_org("Acme")
    result = import_csv(
        HEADER
        + "Export is empty,The CSV export has no rows.,Ana@Acme.Example,acme,2024-05-01T09:30:00+02:00,High,zh_hant\n"
        + ",\"Second line\nof a body\",,,2024-05-02,,\n"
    )
    assert result.exit_code == 0, result.output
    assert result.stdout == "imported 2\n"
    first, second = _tickets(db)
    assert first.subject == "Export is empty"
    assert first.requester.email == "ana@acme.example"
    assert first.requester.role == "customer" and first.requester.password_hash is None
    assert first.organization.name == "Acme"
    assert first.requester.organization.name == "Acme"
    assert first.created_at == datetime(2024, 5, 1, 7, 30, tzinfo=timezone.utc)
    assert (first.priority_name, first.language, first.status, first.channel) == ("high", "zh-Hant", "new", "api")
    assert [(m.body, m.public, m.author_id) for m in first.messages] == [
        ("The CSV export has no rows.", True, first.requester.id)]
    assert [e.kind for e in first.events] == ["created"]
    # No subject: taken from the body; no requester_email: no requester.
    assert second.subject == "Second line"
    assert second.requester is None and second.organization is None
    assert second.created_at == datetime(2024, 5, 2, tzinfo=timezone.utc)
    assert second.priority_name == "normal" and second.language is None


def test_import_sends_no_mail_and_enqueues_one_job_for_the_batch(import_csv, db, run_jobs):
    result = import_csv("body,requester_email\none,a@x.example\ntwo,b@x.example\nthree,a@x.example\n", "--json")
    assert result.exit_code == 0, result.output
    ids = json.loads(result.stdout)["ids"]
    run_jobs()
    jobs = db.session.scalars(select(JobRecord)).all()
    assert [(j.name, j.args, j.status) for j in jobs] == [("support.tickets_imported", [ids], "done")]
    assert _count(db, OutboundMail) == 0
    # One customer per address, however many rows name it.
    assert _count(db, User) == 2


def test_json_output_is_only_json_with_ids_in_file_order(import_csv, db):
    rows = "".join(f"Subject {n},Body {n},,,,,\n" for n in range(5))
    result = import_csv(HEADER + rows, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["imported"] == 5 and len(data["ids"]) == 5
    by_id = {t.id: t.subject for t in _tickets(db)}
    assert [by_id[i] for i in data["ids"]] == [f"Subject {n}" for n in range(5)]


def test_imported_tickets_are_searchable(import_csv, db):
    result = import_csv("subject,body\nPrinter jam,The printer eats paper\n匯出報表,匯出的檔案是空的\n")
    assert result.exit_code == 0, result.output
    for query in ("printer paper", "報表"):
        assert len(db.session.scalars(ticket_ids_matching(query, include_internal=False)).all()) == 1


def test_existing_users_and_domain_organizations_are_reused(import_csv, db, make_org, make_user):
    from app.models import OrganizationDomain

    org = make_org("Globex")
    db.session.add(OrganizationDomain(organization_id=org.id, domain="globex.example"))
    db.session.commit()
    agent = make_user("agent", email="agent@globex.example")
    result = import_csv("body,requester_email\nHelp,new@globex.example\nAgain,AGENT@globex.example\n")
    assert result.exit_code == 0, result.output
    first, second = _tickets(db)
    assert first.requester.organization.name == "Globex" and first.organization.name == "Globex"
    assert second.requester_id == agent.id


@pytest.mark.parametrize(
    "row, reason",
    [
        ("Subject,,a@x.example,,,,", "the body is empty"),
        ("Subject,Body,not-an-address,,,,", "invalid requester_email 'not-an-address'"),
        ("Subject,Body,,,,critical,", "Unknown priority 'critical'"),
        ("Subject,Body,,,yesterday,,", "created_at 'yesterday' is not an ISO 8601"),
        ("Subject,Body,,,2999-01-01T00:00:00Z,,", "created_at 2999-01-01T00:00:00Z is in the future"),
        ("Subject,Body,,Initech,,,", "no organization is called 'Initech'; create it first"),
        ("Subject,Body,,,,,english please", "'english please' is not a language code"),
        ("S" * 251 + ",Body,,,,,", "the subject is too long (251 characters; at most 250)"),
        ("Subject,Body,,,,", "expected 7 fields like the header, found 6"),
        ("Subject,Body,,,,,,", "expected 7 fields like the header, found 8"),
    ],
)
def test_a_bad_row_imports_nothing_and_names_its_line(import_csv, db, row, reason):
    result = import_csv(HEADER + "Good,A fine row,good@x.example,,,,\n" + row + "\n")
    assert result.exit_code == 1
    assert result.stdout == ""
    first = result.stderr.splitlines()[0]
    assert first.startswith("line 3: "), result.stderr
    assert reason in first
    assert (_count(db, Ticket), _count(db, User), _count(db, Message), _count(db, JobRecord)) == (0, 0, 0, 0)


def test_every_bad_line_is_reported(import_csv, db):
    result = import_csv("body,priority\n,low\nfine,normal\nok,bogus\n")
    assert result.exit_code == 1
    assert [line.split(":")[0] for line in result.stderr.splitlines()[:2]] == ["line 2", "line 4"]
    assert _count(db, Ticket) == 0


def test_line_numbers_count_spreadsheet_rows(import_csv, db):
    # A quoted body over several lines is one row; a blank line is a row with no ticket.
    result = import_csv('body,priority\n"one\ntwo\nthree",low\n\nfine,huge\n')
    assert result.exit_code == 1
    assert result.stderr.startswith("line 4: Unknown priority 'huge'")


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "the file is empty"),
        ("  \n\n", "the file is empty"),
        ("subject,body,colour\n", "line 1: unknown column 'colour'"),
        ("subject,requester_email\nHi,a@x.example\n", "line 1: the header has no body column"),
        ("body,Body\nx,y\n", "line 1: the column 'body' appears twice"),
        ('body,priority\nfine,low\n"broken "quote,low\n', "line 3: malformed CSV"),
    ],
)
def test_file_level_problems_exit_1(import_csv, db, text, message):
    result = import_csv(text)
    assert result.exit_code == 1
    assert result.stderr.startswith(message), result.stderr
    assert _count(db, Ticket) == 0


def test_a_file_that_is_not_utf8_names_the_line(import_csv, db):
    result = import_csv("body\nfine\nCaf\xe9 au lait\n", encoding="latin-1")
    assert result.exit_code == 1
    assert result.stderr.startswith("line 3: the file is not UTF-8")


def test_header_only_imports_nothing_successfully(import_csv, db):
    result = import_csv(HEADER)
    assert result.exit_code == 0
    assert result.stdout == "imported 0\n"


def test_utf8_bom_and_header_case_are_accepted(import_csv, db):
    result = import_csv("\ufeffBody, Language \nПринтер не печатает,RU\n")
    assert result.exit_code == 0, result.output
    assert _tickets(db)[0].language == "ru"


@pytest.mark.parametrize(
    "value, expected",
    [
        ("2024-05-01", datetime(2024, 5, 1, tzinfo=timezone.utc)),
        ("2024-05-01T09:30:00", datetime(2024, 5, 1, 9, 30, tzinfo=timezone.utc)),
        ("2024-05-01 09:30", datetime(2024, 5, 1, 9, 30, tzinfo=timezone.utc)),
        ("2024-05-01T09:30:00Z", datetime(2024, 5, 1, 9, 30, tzinfo=timezone.utc)),
        ("2024-05-01T09:30:00-05:00", datetime(2024, 5, 1, 14, 30, tzinfo=timezone.utc)),
    ],
)
def test_created_at_forms(import_csv, db, value, expected):
    result = import_csv(f"body,created_at\nHello,{value}\n")
    assert result.exit_code == 0, result.output
    ticket = _tickets(db)[0]
    assert ticket.created_at == expected
    assert ticket.messages[0].created_at == expected


@pytest.mark.parametrize(
    "raw, code", [("zh_hant", "zh-Hant"), ("ZH-hans", "zh-Hans"), ("ja", "ja"), ("EN_us", "en-US")]
)
def test_language_codes_are_normalized(import_csv, db, raw, code):
    result = import_csv(f"body,language\nHello,{raw}\n")
    assert result.exit_code == 0, result.output
    assert _tickets(db)[0].language == code


def test_a_database_error_midway_leaves_nothing_behind(import_csv, db, monkeypatch):
    import app.support.importing as importing

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(importing, "enqueue", broken)
    result = import_csv("body,requester_email\nHello,new@x.example\n")
    assert result.exit_code == 1
    assert "nothing was imported" in result.stderr and "disk full" in result.stderr
    assert (_count(db, Ticket), _count(db, User), _count(db, Message)) == (0, 0, 0)


def test_reads_standard_input(runner, db):
    result = runner.invoke(args=["tickets", "import", "-", "--json"], input="body\nFrom a pipe\n")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["imported"] == 1


def test_missing_file_is_a_usage_error(runner, db, tmp_path):
    result = runner.invoke(args=["tickets", "import", str(tmp_path / "nope.csv")])
    assert result.exit_code == 2


def test_ten_thousand_rows_import_in_seconds(import_csv, db, make_org):
    make_org("Acme")
    day = (datetime.now(timezone.utc) - timedelta(days=3)).date().isoformat()
    rows = "".join(
        f"Subject {n},Body of ticket {n},user{n % 1500}@acme.example,Acme,{day},low,ja\n" for n in range(10_000)
    )
    started = time.monotonic()
    result = import_csv(HEADER + rows, "--json")
    elapsed = time.monotonic() - started
    assert result.exit_code == 0, result.output
    ids = json.loads(result.stdout)["ids"]
    assert len(ids) == 10_000 and ids == sorted(ids)
    assert _count(db, Ticket) == 10_000 and _count(db, User) == 1500
    assert elapsed < 20, f"import took {elapsed:.1f} s"
