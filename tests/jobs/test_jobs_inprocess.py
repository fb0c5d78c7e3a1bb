"""The embedded default: jobs recorded with the action, run in-process when the context ends."""

import threading
from datetime import timedelta

import pytest
from flask import g
from sqlalchemy import func, select

from app.extensions import db as _db
from app.jobs import enqueue, execute_job
from app.jobs.core import MAX_ATTEMPTS, requeue_dropped_jobs
from app.models import JobRecord
from app.models.base import utcnow


def _job(app, job_id):
    with app.app_context():
        record = _db.session.get(JobRecord, job_id)
        _db.session.expunge(record)
        return record


def _count(app):
    with app.app_context():
        return _db.session.scalar(select(func.count(JobRecord.id)))


def test_job_runs_once_the_app_context_ends(app, calls):
    with app.app_context():
        record = enqueue("test.record", 1)
        _db.session.commit()
        job_id = record.id
        assert calls == []  # recorded with the action, not run inside it
    assert calls == [1]
    done = _job(app, job_id)
    assert (done.status, done.attempts, done.last_error) == ("done", 1, None)
    assert done.started_at is not None and done.finished_at >= done.started_at


def test_job_runs_after_the_request_not_inside_it(app, calls):
    ctx = app.test_request_context("/anything")
    ctx.push()
    try:
        enqueue("test.record", "from a request")
        _db.session.commit()
        assert calls == []
    finally:
        ctx.pop()
    assert calls == ["from a request"]


def test_a_job_that_enqueues_another_runs_it_too(app, calls):
    with app.app_context():
        enqueue("test.chain", 1)
        _db.session.commit()
    assert calls == ["chain:1", 2]
    with app.app_context():
        rows = _db.session.execute(select(JobRecord.name, JobRecord.status).order_by(JobRecord.id)).all()
    assert rows == [("test.chain", "done"), ("test.record", "done")]


def test_a_failing_job_is_recorded_with_its_traceback_and_the_next_job_still_runs(app, calls):
    with app.app_context():
        failing = enqueue("test.fail", 7)
        enqueue("test.record", 8)
        _db.session.commit()
        failing_id = failing.id
    # Leaving the context did not raise, and the job after the failing one ran.
    assert calls == [8]
    failed = _job(app, failing_id)
    assert failed.status == "failed" and failed.attempts == 1
    assert "Traceback" in failed.last_error and "RuntimeError: boom 7" in failed.last_error


def test_a_failing_job_does_not_break_the_request(app, client, make_user, login, calls):
    """The page is answered normally; the failure waits on the job row for an admin."""
    admin = make_user("admin")
    login(admin)
    with app.app_context():
        record = JobRecord(name="test.fail", args=[3], status="failed", attempts=1)
        _db.session.add(record)
        _db.session.commit()
        job_id = record.id
    response = client.post(f"/admin/jobs/{job_id}/retry")
    assert response.status_code == 303
    again = _job(app, job_id)
    assert again.status == "failed" and again.attempts == 2 and "boom 3" in again.last_error


def test_execute_job_twice_runs_the_function_once(app, db, calls, deferred):
    record = enqueue("test.record", 5)
    db.session.commit()
    assert execute_job(record.id) == "done"
    assert execute_job(record.id) is None
    assert calls == [5]
    assert _job(app, record.id).attempts == 1


def test_concurrent_runs_of_one_job_run_it_once(app, db, calls, deferred):
    record = enqueue("test.slow", 11)
    db.session.commit()
    job_id = record.id
    start = threading.Barrier(2)
    results = []

    def run():
        with app.app_context():
            start.wait()
            results.append(execute_job(job_id))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(results, key=str) == [None, "done"]
    assert calls == [11]


def test_rollback_means_the_job_never_runs(app, calls):
    with app.app_context():
        enqueue("test.record", "flushed")
        _db.session.flush()
        enqueue("test.record", "not flushed")
        _db.session.rollback()
        assert not g.get("tandem_inline_jobs")
        # A later commit in the same context does not resurrect them.
        enqueue("test.record", "kept")
        _db.session.commit()
    assert calls == ["kept"]
    assert _count(app) == 1


def test_jobs_in_a_rolled_back_savepoint_are_dropped_and_the_rest_dispatched_on_the_outer_commit(
        app, calls, monkeypatch):
    sent = []
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")
    monkeypatch.setattr("app.jobs.rq.rq_enqueue", lambda job_id, queue="default": sent.append((job_id, queue)))
    with app.app_context():
        outer = enqueue("test.record", "outer")
        with _db.session.begin_nested():
            inner = enqueue("test.slow", "released savepoint")
        assert sent == []  # releasing a savepoint is not the commit a worker can see
        savepoint = _db.session.begin_nested()
        enqueue("test.record", "rolled back")
        _db.session.flush()
        savepoint.rollback()
        _db.session.commit()
        assert sorted(sent) == sorted([(outer.id, "default"), (inner.id, "low")])
        _db.session.rollback()
    assert _count(app) == 2
    assert calls == []  # with REDIS_URL nothing runs in-process


def test_rollback_with_redis_sends_nothing(app, monkeypatch):
    sent = []
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")
    monkeypatch.setattr("app.jobs.rq.rq_enqueue", lambda job_id, queue="default": sent.append(job_id))
    with app.app_context():
        enqueue("test.record", 1)
        _db.session.flush()
        _db.session.rollback()
    assert sent == [] and _count(app) == 0


def test_enqueue_refuses_objects_and_unknown_jobs(app, db, make_user):
    with pytest.raises(TypeError, match="takes ids"):
        enqueue("test.record", make_user("customer"))
    with pytest.raises(LookupError, match="unknown job"):
        enqueue("no.such.job", 1)


def test_requeue_resends_a_job_whose_dispatch_was_lost(app, calls, monkeypatch, later):
    monkeypatch.setitem(app.config, "JOBS_DEFER_INLINE", True)
    with app.app_context():
        enqueue("test.record", "lost")
        _db.session.commit()
    assert calls == []  # the process "died" before running it
    monkeypatch.setitem(app.config, "JOBS_DEFER_INLINE", False)
    with app.app_context():
        assert requeue_dropped_jobs(now=utcnow()) == 0  # not stale yet
        assert requeue_dropped_jobs(now=later) == 1
    assert calls == ["lost"]
    with app.app_context():
        assert requeue_dropped_jobs(now=later + timedelta(hours=1)) == 0  # done jobs stay done
    assert calls == ["lost"]


def test_requeue_retries_failed_jobs_a_few_times_then_leaves_them_to_an_admin(app, calls, later):
    with app.app_context():
        record = enqueue("test.fail", 1)
        _db.session.commit()
        job_id = record.id
    for attempt in range(2, MAX_ATTEMPTS + 1):
        with app.app_context():
            assert requeue_dropped_jobs(now=later + timedelta(hours=attempt)) == 1
        assert _job(app, job_id).attempts == attempt
    with app.app_context():
        assert requeue_dropped_jobs(now=later + timedelta(days=1)) == 0
    assert _job(app, job_id).status == "failed"


def test_requeue_takes_over_a_job_whose_worker_died(app, db, calls, deferred):
    record = JobRecord(name="test.record", args=["orphan"], status="running", attempts=1,
                       started_at=utcnow() - timedelta(hours=1))
    db.session.add(record)
    db.session.commit()
    app.config["JOBS_DEFER_INLINE"] = False
    assert requeue_dropped_jobs() == 1
    from app.jobs import run_inline_jobs

    run_inline_jobs()
    assert calls == ["orphan"]
    assert _job(app, record.id).attempts == 2


def test_requeue_prunes_old_finished_jobs(app, db, deferred):
    old = utcnow() - timedelta(days=30)
    db.session.add_all([
        JobRecord(name="test.record", args=[1], status="done", finished_at=old, created_at=old),
        JobRecord(name="test.record", args=[2], status="done", finished_at=utcnow()),
        JobRecord(name="test.fail", args=[3], status="failed", attempts=MAX_ATTEMPTS, finished_at=old),
    ])
    db.session.commit()
    requeue_dropped_jobs()
    left = db.session.scalars(select(JobRecord.args).order_by(JobRecord.id)).all()
    assert left == [[2], [3]]  # failed jobs stay visible to admins
