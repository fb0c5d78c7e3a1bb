"""`flask mail outbox`, `flask jobs …`, and the worker/scheduler refusing to start without what they need."""

import json
from datetime import timedelta

from app.models import JobRecord, OutboundMail
from app.models.base import utcnow


def _mails(db, n=3):
    start = utcnow() - timedelta(hours=1)
    db.session.add_all([
        OutboundMail(to_addr=f"p{i}@example.test", subject=f"Subject {i}", body_text=f"Body of mail {i}",
                     body_html=f"<p>Body {i}</p>", kind="ticket_received", status="outbox",
                     created_at=start + timedelta(minutes=i))
        for i in range(n)
    ])
    db.session.commit()


def test_mail_outbox_json_newest_first(runner, db):
    _mails(db)
    result = runner.invoke(args=["mail", "outbox", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [m["subject"] for m in data] == ["Subject 2", "Subject 1", "Subject 0"]
    first = data[0]
    assert first["to"] == "p2@example.test" and first["status"] == "outbox"
    assert first["body_text"] == "Body of mail 2" and first["body_html"] == "<p>Body 2</p>"
    assert first["created_at"].endswith("+00:00")
    limited = json.loads(runner.invoke(args=["mail", "outbox", "--json", "--limit", "1"]).stdout)
    assert [m["subject"] for m in limited] == ["Subject 2"]


def test_mail_outbox_prints_readable_messages(runner, db):
    _mails(db, 2)
    result = runner.invoke(args=["mail", "outbox"])
    assert result.exit_code == 0
    assert "To: p1@example.test" in result.stdout and "Subject: Subject 1" in result.stdout
    assert "Body of mail 1" in result.stdout
    assert result.stdout.index("Subject 1") < result.stdout.index("Subject 0")


def test_mail_outbox_empty_and_bad_limit(runner, db):
    assert "empty" in runner.invoke(args=["mail", "outbox"]).stdout
    assert runner.invoke(args=["mail", "outbox", "--json"]).stdout.strip() == "[]"
    assert runner.invoke(args=["mail", "outbox", "--limit", "0"]).exit_code == 2


def test_jobs_list_and_retry(runner, db, calls, flaky_state, run_jobs):
    record = JobRecord(name="test.flaky", args=[9], status="failed", attempts=3, last_error="RuntimeError: flaky failure")
    db.session.add(record)
    db.session.commit()
    listed = json.loads(runner.invoke(args=["jobs", "list", "--json"]).stdout)
    assert [(j["id"], j["name"], j["args"], j["error"]) for j in listed] == [
        (record.id, "test.flaky", [9], "RuntimeError: flaky failure")]
    text = runner.invoke(args=["jobs", "list"]).stdout
    assert "failed: 1" in text and "RuntimeError: flaky failure" in text

    flaky_state["fail"] = False
    result = runner.invoke(args=["jobs", "retry", str(record.id)])
    assert result.exit_code == 0 and "queued again" in result.stdout
    run_jobs()  # what the end of the command's app context does outside tests
    assert calls == [9]
    again = runner.invoke(args=["jobs", "retry", str(record.id)])
    assert again.exit_code == 1 and "not failed" in again.stderr
    missing = runner.invoke(args=["jobs", "retry", "99999"])
    assert missing.exit_code == 1 and "No job" in missing.stderr


def test_jobs_requeue_resends_dropped_jobs(app, runner, db, calls, deferred, run_jobs):
    db.session.add(JobRecord(name="test.record", args=["dropped"], status="pending",
                             created_at=utcnow() - timedelta(hours=1)))
    db.session.commit()
    app.config["JOBS_DEFER_INLINE"] = False
    result = runner.invoke(args=["jobs", "requeue"])
    assert result.exit_code == 0 and "Resent 1 jobs" in result.stdout
    run_jobs()
    assert calls == ["dropped"]


def test_worker_needs_redis(runner, app):
    result = runner.invoke(args=["worker"])
    assert result.exit_code == 1 and "REDIS_URL" in result.stderr


def test_worker_and_scheduler_say_when_redis_is_unreachable(runner, app, monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")
    for command in (["worker"], ["scheduler"]):
        result = runner.invoke(args=command)
        assert result.exit_code == 1 and "Cannot reach Redis" in result.stderr, command
    bad = runner.invoke(args=["worker", "urgent"])
    assert bad.exit_code == 2 and "Unknown queue urgent" in bad.stderr
