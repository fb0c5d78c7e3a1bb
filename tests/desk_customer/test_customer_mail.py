"""The three customer e-mails, delivered through a real local SMTP server."""

import re

from sqlalchemy import select

from app.models import CsatResponse, Ticket
from app.support.services import add_message, change_status


def parts(message):
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    return text, html


def test_received_replied_and_solved_mails_carry_the_portal_and_csat_links(
        client, db, make_user, smtp_server, run_jobs):
    agent = make_user("agent", name="Ivan Agent")
    response = client.post("/tickets/new", data={"name": "Ana Lima", "email": "ana@acme.example",
                                                 "subject": "Export is empty", "body": "No rows since Monday."})
    assert response.status_code == 200
    ticket = db.session.scalars(select(Ticket)).one()
    portal = f"http://tandem.test/portal/tickets/{ticket.id}"

    [received] = smtp_server.messages()
    assert received["To"] == "ana@acme.example"
    assert received["Subject"] == f"We received your request [#{ticket.id}] Export is empty"
    text, html = parts(received)
    assert text.startswith("Hello Ana,") and portal in text and f'href="{portal}"' in html
    # No password yet: the mail says how to get one, so the portal link is usable.
    set_password = re.search(r"http://tandem.test/password/set/\S+", text).group(0)
    assert client.get(set_password.removeprefix("http://tandem.test")).status_code == 200

    add_message(ticket, agent, "Please try the export again <now>.", public=True)
    db.session.commit()
    run_jobs()
    replied = smtp_server.messages()[1]
    assert replied["Subject"].startswith("New reply to your request [#")
    text, html = parts(replied)
    assert "Ivan Agent replied to your request" in text and "Please try the export again <now>." in text
    assert "Please try the export again &lt;now&gt;." in html and portal in text and f'href="{portal}"' in html

    change_status(ticket, agent, "solved")
    db.session.commit()
    run_jobs()
    solved = smtp_server.messages()[2]
    assert solved["Subject"].startswith("Your request was solved [#")
    text, html = parts(solved)
    good = re.search(r"Good, I'm satisfied: (\S+)", text).group(1)
    bad = re.search(r"Bad, I'm unsatisfied: (\S+)", text).group(1)
    assert good.startswith("http://tandem.test/csat/") and bad.startswith("http://tandem.test/csat/")
    assert f'href="{good}"' in html and f'href="{bad}"' in html and portal in text and f'href="{portal}"' in html

    assert client.get(bad.removeprefix("http://tandem.test")).status_code == 200
    assert client.get(good.removeprefix("http://tandem.test")).status_code == 200
    assert db.session.scalars(select(CsatResponse.rating)).all() == ["good"]
    assert len(smtp_server.messages()) == 3


def test_customers_with_a_password_get_no_set_password_link(client, db, make_user, smtp_server):
    make_user("customer", email="ana@acme.example", name="Ana Lima")
    client.post("/tickets/new", data={"email": "ana@acme.example", "body": "Hello"})
    [received] = smtp_server.messages()
    text, _html = parts(received)
    assert "/password/set/" not in text and "/portal/tickets/" in text

