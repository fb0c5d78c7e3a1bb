"""E-mail steps through the real local SMTP server (aiosmtpd), sent once, held ones only on approval."""

from sqlalchemy import select

from app.models import OutboundMail
from app.models.playbooks import CsmTask
from app.success.playbooks import runs

EMAIL = {"kind": "email", "subject": "Heads-up for {{ account.name }}",
         "body": "Hi {{ contact.first_name }},\nwe fixed the export issue others hit. — {{ csm.name }}"}


def test_an_email_step_reaches_every_contact_through_smtp(db, csm, make_account, make_playbook, enrol, smtp_server,
                                                          run_jobs, at):
    org = make_account("Acme", contacts=("ana", "bo"))
    enrol(make_playbook(steps=[EMAIL]), [org], at(seconds=-1))
    run_jobs()
    received = sorted(smtp_server.messages(), key=lambda m: m["To"])
    assert [m["To"] for m in received] == ["ana@acme.example", "bo@acme.example"]
    assert received[0]["Subject"] == "Heads-up for Acme"
    text = received[0].get_body(("plain",)).get_content()
    assert "Hi Ana," in text and "— Cara Smith" in text
    db.session.expire_all()
    assert {m.status for m in db.session.scalars(select(OutboundMail))} == {"sent"}
    # The advance job running again sends nothing more.
    runs.advance_due_runs(at(days=1))
    db.session.commit()
    run_jobs()
    assert len(smtp_server.messages()) == 2


def test_a_held_email_is_sent_only_after_the_csm_approves_it(db, client, login, csm, make_account, make_playbook,
                                                             enrol, smtp_server, run_jobs, at):
    org = make_account("Acme", contacts=("ana",))
    enrol(make_playbook(steps=[dict(EMAIL, hold_for_review=True)]), [org], at(seconds=-1))
    run_jobs()
    assert smtp_server.messages() == []
    review = db.session.scalars(select(CsmTask)).one()
    login(csm)
    page = client.get("/success/tasks").get_data(as_text=True)
    assert "Review e-mail" in page and "Hi Ana," in page and "Approve and send" in page
    response = client.post(f"/success/tasks/{review.id}/complete", data={"note": "Looks good"})
    assert response.status_code == 302
    run_jobs()
    [message] = smtp_server.messages()
    assert message["To"] == "ana@acme.example" and message["Subject"] == "Heads-up for Acme"
