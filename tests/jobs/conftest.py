"""Jobs only the job-layer tests use, and helpers to wait for other processes."""

import socket
import threading
import time
from datetime import timedelta

import pytest

from app.jobs import enqueue, job
from app.models.base import utcnow

CALLS = []
STATE = {"fail": True}
_lock = threading.Lock()


def _record(value):
    with _lock:
        CALLS.append(value)


@job("test.record")
def record_call(value):
    _record(value)


@job("test.fail")
def always_fail(value):
    raise RuntimeError(f"boom {value}")


@job("test.flaky")
def flaky(value):
    if STATE["fail"]:
        raise RuntimeError("flaky failure")
    _record(value)


@job("test.chain")
def chain(value):
    _record(f"chain:{value}")
    enqueue("test.record", value + 1)


@job("test.slow", queue="low")
def slow(value):
    time.sleep(0.3)
    _record(value)


@pytest.fixture
def calls():
    """What the test jobs did, in order (cleared around each test)."""
    CALLS.clear()
    STATE["fail"] = True
    yield CALLS
    CALLS.clear()


@pytest.fixture
def flaky_state():
    return STATE


@pytest.fixture
def deferred(app, monkeypatch):
    """Committed jobs are not run when the context ends: the test runs them itself."""
    monkeypatch.setitem(app.config, "JOBS_DEFER_INLINE", True)


@pytest.fixture
def later(app):
    """A `now` past the requeue job's horizon."""
    return utcnow() + timedelta(seconds=app.config["JOB_RETRY_AFTER_SECONDS"] + 1)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(predicate, timeout=20.0, interval=0.1, message="condition"):
    """Poll `predicate` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {message() if callable(message) else message}")
        time.sleep(interval)


@pytest.fixture
def free_port():
    return _free_port


@pytest.fixture
def wait_for():
    return _wait_for


