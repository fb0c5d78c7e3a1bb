"""Topic and feedback fixtures: a small multilingual desk with three clear problems and one-offs.

The real mining algorithm and encoders run (loaded once per test process); the desk stays small.
"""

from datetime import timedelta
from decimal import Decimal

import pytest

from app.models import User
from app.models.base import utcnow

EXPORT = [
    ("en", "CSV export is empty", "When I export my invoices to CSV the file has no rows at all."),
    ("en", "Export file has no data", "The CSV export downloads but it is empty, only the header line."),
    ("en", "Empty CSV when exporting invoices", "Exporting invoices gives an empty CSV file since yesterday."),
    ("en", "Invoice export returns blank file", "I tried the CSV export of invoices three times, the file is always empty."),
    ("ru", "Пустой экспорт CSV", "При экспорте счетов в CSV файл получается пустым, нет ни одной строки."),
    ("ru", "Экспорт счетов не работает", "Выгрузка счетов в CSV скачивается пустой, только заголовок."),
    ("ja", "CSVエクスポートが空です", "請求書をCSVにエクスポートすると、ファイルが空になります。"),
]
PASSWORD = [
    ("en", "Password reset email never arrives", "I clicked forgot password but the reset email never arrived."),
    ("en", "No password reset link", "The password reset link email does not come, I checked spam too."),
    ("en", "Cannot reset my password", "I requested a password reset several times and got no email."),
    ("en", "Reset password mail missing", "Where is the password reset email? Nothing in my inbox."),
    ("ru", "Не приходит письмо для сброса пароля", "Нажимаю «забыли пароль», но письмо для сброса пароля не приходит."),
    ("ja", "パスワードリセットのメールが届きません", "パスワードを忘れた場合のリセットメールが届きません。"),
]
CARD = [
    ("en", "Card payment declined", "My credit card payment for the subscription was declined."),
    ("en", "Payment failed with my card", "The card payment keeps failing when I try to pay the subscription."),
    ("en", "Credit card declined at checkout", "Checkout says my credit card was declined, the card works elsewhere."),
    ("en", "Cannot pay subscription by card", "Paying the subscription with a card fails with a declined message."),
    ("ru", "Оплата картой отклонена", "Оплата подписки банковской картой отклоняется."),
]
ONE_OFFS = [
    ("en", "Do you have an office in Lisbon?", "We would like to visit your team in person next spring."),
    ("en", "Dark mode for the mobile app", "Would be great to have a dark theme on the phone app."),
]
GROUPS = {"export": EXPORT, "password": PASSWORD, "card": CARD}


@pytest.fixture(scope="session", autouse=True)
def _encodings_remembered():
    """The real encoders, but each distinct text is encoded once per test process: the same
    small desk is rebuilt for many tests and encoding dominates their time on a shared machine."""
    import numpy as np

    from app.success import mining

    real = mining.embed_tickets
    cache = {}

    def remembered(texts, languages):
        texts, languages = list(texts), list(languages)
        keys = list(zip(texts, languages))
        todo = [k for k in dict.fromkeys(keys) if k not in cache]
        if todo:
            for key, row in zip(todo, real([t for t, _l in todo], [lang for _t, lang in todo])):
                cache[key] = row
        if not keys:
            return real(texts, languages)
        return np.stack([cache[k] for k in keys]).astype(np.float32)

    mining.embed_tickets = remembered
    yield
    mining.embed_tickets = real


@pytest.fixture
def arrival(app):
    """The suite's default leaves arrival embedding off; tests about it switch it on."""
    app.config["TOPIC_ATTACH_ON_ARRIVAL"] = True
    yield
    app.config["TOPIC_ATTACH_ON_ARRIVAL"] = False


@pytest.fixture
def orgs(make_org):
    return {
        "acme": make_org("Acme", mrr=Decimal("1200.00"), plan="pro"),
        "globex": make_org("Globex", mrr=Decimal("800.00"), plan="pro"),
        "initech": make_org("Initech", mrr=Decimal("300.00"), plan="basic"),
    }


@pytest.fixture
def desk(db, make_ticket, make_user, orgs, run_jobs):
    """{"export": [tickets], "password": […], "card": […], "one_offs": […]} created over six weeks."""
    from app.success import mining

    every = [r for rows in [*GROUPS.values(), ONE_OFFS] for r in rows]
    mining.embed_tickets([mining.ticket_text(s, b) for _l, s, b in every], [lang for lang, _s, _b in every])
    now = utcnow()
    org_cycle = [orgs["acme"], orgs["globex"], orgs["initech"]]
    out = {}
    n = 0
    for name, rows in [*GROUPS.items(), ("one_offs", ONE_OFFS)]:
        out[name] = []
        for lang, subject, body in rows:
            n += 1
            requester = make_user("customer", email=f"req{n}@acme.example", password=None)
            ticket = make_ticket(requester=requester, subject=subject, body=body, language=lang,
                                 organization=org_cycle[n % 3], created_at=now - timedelta(days=3 * n))
            out[name].append(ticket)
    run_jobs()
    return out


@pytest.fixture
def staff(make_user):
    return {role: make_user(role, email=f"{role}@tandem.example") for role in ("agent", "csm", "admin")}


def as_user(app, user):
    from app.extensions import db

    client = app.test_client()
    user = db.session.get(User, user.id)
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True
    return client


@pytest.fixture
def client_for(app):
    return lambda user: as_user(app, user)


@pytest.fixture
def mined(db, desk):
    """The desk after one full mine: {group name: topic id of most of its tickets}."""
    from collections import Counter

    from app.success.topic_mining import mine_topics

    mine_topics()
    db.session.commit()
    db.session.expire_all()
    out = {}
    for name in GROUPS:
        counts = Counter(t.topic_id for t in desk[name] if t.topic_id is not None)
        out[name] = counts.most_common(1)[0][0] if counts else None
    return out
