"""The SLA report's charts in a real browser: Chart.js and reports.js load under the CSP and draw."""

import shutil
import threading
from datetime import datetime, timedelta, timezone

import pytest
from werkzeug.serving import make_server

from app.models import Ticket
from app.models.sla import SlaPolicy, TicketSlaClock
from tests.conftest import PASSWORD
from tests.sla_ui.conftest import ALL_DAY

pytestmark = pytest.mark.browser


@pytest.fixture
def server(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)
    server.server_close()


@pytest.fixture
def chromium():
    executable = shutil.which("chromium")
    if executable is None:
        pytest.skip("Debian's chromium is not installed; browser tests skipped")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True,
                                             args=["--no-sandbox", "--disable-gpu"])
        yield browser
        browser.close()


def test_histograms_are_drawn(db, server, chromium, make_user, make_calendar):
    make_calendar("Always open", hours=ALL_DAY, is_default=True)
    agent = make_user("agent")
    policy = SlaPolicy(name="Standard")
    ticket = Ticket(subject="Slow export", status="open", priority=2)
    db.session.add_all([policy, ticket])
    db.session.flush()
    started = datetime.now(timezone.utc) - timedelta(days=2)
    for metric, hours in (("first_reply", 1.5), ("resolution", 30)):
        db.session.add(TicketSlaClock(ticket_id=ticket.id, policy_id=policy.id, metric=metric, state="achieved",
                                      target_minutes=60, started_at=started, due_at=started + timedelta(hours=1),
                                      achieved_at=started + timedelta(hours=hours)))
    db.session.commit()

    page = chromium.new_page()
    problems = []
    # CSP refusals show up as console errors; a missing file as a failed response (the favicon aside).
    page.on("console", lambda message: problems.append(message.text)
            if message.type == "error" and not message.text.startswith("Failed to load resource") else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("response", lambda response: problems.append(response.url)
            if response.status >= 400 and not response.url.endswith("/favicon.ico") else None)
    page.goto(f"{server}/login")
    page.fill("input[name=email]", agent.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{server}/agent/reports/sla")
    page.wait_for_function("() => window.Chart && Chart.getChart('sla-histogram-resolution')")
    counts = page.evaluate("() => ['first_reply', 'resolution'].map("
                           "m => Chart.getChart('sla-histogram-' + m).data.datasets[0].data)")
    assert counts == [[0, 0, 1, 0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 1, 0, 0]]
    assert problems == []
    page.close()
