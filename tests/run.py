"""`make test`: the whole suite, with a clear word on what was skipped and why."""

import os
import shutil
import sys

import pytest


def main():
    args = ["-n", os.environ.get("TEST_WORKERS", "2"), "--dist", "loadfile"]
    # The browser tests save screenshots of the main pages here for reviewers.
    shots = os.environ.setdefault("BROWSER_SCREENSHOTS", os.path.abspath("test-artifacts/screenshots"))
    if not shutil.which("chromium"):
        print("NOTE: Debian's chromium is not installed: the browser tests will be skipped "
              "(apt-get install chromium to run them).", flush=True)
    if not (os.environ.get("TEST_DATABASE_URL") and os.environ.get("TEST_REDIS_URL")):
        print("NOTE: TEST_DATABASE_URL/TEST_REDIS_URL not set: running on SQLite with in-process jobs; "
              "the PostgreSQL + Redis + worker integration tests will be skipped.", flush=True)
    else:
        print(f"NOTE: running against {os.environ['TEST_DATABASE_URL']} and {os.environ['TEST_REDIS_URL']}.",
              flush=True)
    status = pytest.main(args + sys.argv[1:])
    if shutil.which("chromium") and os.path.isdir(shots):
        print(f"Screenshots of the main pages: {shots}", flush=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
