"""NPS: survey e-mails through a real SMTP server, one-click answers, comments, figures."""

import re
from urllib.parse import urlsplit

from sqlalchemy import select

from app.models import OutboundMail
from app.models.health import NpsResponse
from app.success.health import nps


def _links(message):
    text = message.get_body(preferencelist=("plain",)).get_content()
    return dict(re.findall(r"^(\d+): (http\S+)", text, re.M)), text


def test_survey_mails_contacts_and_one_click_records_the_score(app, db, client, as_csm, make_org, make_user,
                                                                smtp_server):
    org = make_org("Acme")
    ana = make_user("customer", email="ana@acme.example", organization=org, name="Ana Silva", password=None)
    make_user("customer", email="bo@acme.example", organization=org, password=None)
    make_user("customer", email="gone@acme.example", organization=org, password=None, active=False)

    response = as_csm.post(f"/success/accounts/{org.id}/nps")
    assert response.status_code == 302
    assert "sent to 2 contacts" in as_csm.get(response.headers["Location"]).get_data(as_text=True)

    messages = smtp_server.messages()
    assert sorted(m["To"] for m in messages) == ["ana@acme.example", "bo@acme.example"]
    mail = next(m for m in messages if m["To"] == "ana@acme.example")
    assert mail["Subject"] == "How likely are you to recommend us?"
    links, text = _links(mail)
    assert sorted(int(k) for k in links) == list(range(11)) and "Hello Ana," in text

    anonymous = app.test_client()
    page = anonymous.get(urlsplit(links["3"]).path)
    assert page.status_code == 200 and "Your score: 3 out of 10." in page.get_data(as_text=True)
    answer = db.session.scalar(select(NpsResponse).where(NpsResponse.user_id == ana.id))
    db.session.refresh(answer)
    assert answer.score == 3 and nps.category(answer.score) == "detractor"

    # Changing one's mind and adding a comment keeps one answer.
    done = anonymous.post(urlsplit(links["3"]).path, data={"score": "9", "comment": "Support got better"})
    assert done.status_code == 200 and "Your comment was saved" in done.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.scalars(select(NpsResponse.score).where(NpsResponse.user_id == ana.id)).all() == [9]
    assert nps.nps_for([org.id]) == {"promoters": 1, "passives": 0, "detractors": 0, "answers": 1, "nps": 100}

    # The answer shows on the account page and the NPS overview.
    assert "Support got better" in as_csm.get(f"/success/accounts/{org.id}").get_data(as_text=True)
    overview = as_csm.get("/success/nps").get_data(as_text=True)
    assert "Acme" in overview and "Support got better" in overview


def test_sending_twice_within_30_days_does_not_ask_again(db, as_csm, make_org, make_user, smtp_server):
    org = make_org("Acme")
    make_user("customer", email="ana@acme.example", organization=org, password=None)
    as_csm.post(f"/success/accounts/{org.id}/nps")
    again = as_csm.post(f"/success/accounts/{org.id}/nps", follow_redirects=True)
    assert "Nobody to survey" in again.get_data(as_text=True)
    assert len(smtp_server.messages()) == 1


def test_job_run_twice_sends_each_invitation_once(app, db, make_org, make_user, csm, run_jobs):
    org = make_org("Acme")
    make_user("customer", email="ana@acme.example", organization=org, password=None)
    nps.send_survey(csm, [org.id])
    db.session.commit()
    run_jobs()  # the survey job, then the delivery job
    survey_id = db.session.scalar(select(NpsResponse.survey_id))
    assert nps.mail_survey(survey_id) == 0  # run again: nothing more to send
    db.session.commit()
    assert db.session.scalar(select(OutboundMail.id).where(OutboundMail.to_addr == "ana@acme.example")) is not None
    assert len(db.session.scalars(select(OutboundMail)).all()) == 1


def test_bad_and_tampered_links(app, db, make_org, make_user, csm):
    org = make_org("Acme")
    make_user("customer", email="ana@acme.example", organization=org, password=None)
    nps.send_survey(csm, [org.id])
    db.session.commit()
    response_id = db.session.scalar(select(NpsResponse.id))
    client = app.test_client()
    assert client.get("/nps/not-a-token").status_code == 404
    token = nps.nps_token(response_id, 7)
    assert client.get("/nps/" + token[:-2] + "xx").status_code == 404
    assert client.get("/nps/" + nps.nps_token(response_id, 11)).status_code == 404
    assert client.post("/nps/" + nps.nps_token(response_id), data={"score": "12"}).status_code == 400
    db.session.expire_all()
    assert db.session.scalar(select(NpsResponse.score)) is None


def test_survey_without_contacts_is_refused(db, as_csm, make_org):
    org = make_org("Empty")
    page = as_csm.post(f"/success/accounts/{org.id}/nps", follow_redirects=True)
    assert "Nobody to survey" in page.get_data(as_text=True)


def test_nps_by_month(db, make_org, make_user, csm, now):
    org = make_org("Acme")
    people = [make_user("customer", email=f"p{i}@acme.example", organization=org, password=None) for i in range(4)]
    nps.send_survey(csm, [org.id], now=now)
    db.session.commit()
    for person, score in zip(people, (10, 9, 8, 2)):
        response = db.session.scalar(select(NpsResponse).where(NpsResponse.user_id == person.id))
        nps.answer(response, score, now=now)
    db.session.commit()
    months = nps.nps_by_month(3, today=now.date())
    assert [m for m, _s in months][-1] == now.date().replace(day=1)
    assert months[-1][1]["nps"] == 25 and months[0][1]["answers"] == 0
