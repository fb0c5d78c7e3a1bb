"""The role table of DESIGN.md, walked over every page route in the app.

Each route gets its expectation from the area its path belongs to; a route outside every known
area and not listed as public fails `test_every_page_route_has_a_rule`, so a new page cannot ship
without a decision about who may see it. The JSON API has its own matrix in tests/api.
"""

import pytest


from app.models import JobRecord, OutboundMail, User
from app.models.base import utcnow

ROLES = ("anonymous", "customer", "agent", "csm", "admin")

# Pages anyone may open (the help center, sign-in, password links, health, static files).
PUBLIC = {
    "/", "/kb/", "/kb/search", "/kb/articles/<int:article_id>", "/tickets/new", "/login", "/logout",
    "/password/forgot", "/password/set/<token>", "/healthz", "/static/<path:filename>",
    "/csat/<token>",  # signed one-click rating links from the solved e-mail
    # Knowledge base: category pages, votes, ticket-form suggestions and their "submitted" beacon.
    "/kb/categories/<slug>", "/kb/articles/<int:article_id>/vote", "/kb/suggest", "/kb/suggest/submitted",
    "/nps/<token>",  # signed one-click NPS links from the survey e-mail
    "/language/<code>",  # the language switcher at the foot of every page
}

# Areas by path prefix: who reads, who writes (DESIGN.md's role table).
AREAS = {
    "/admin/": {"read": {"admin"}, "write": {"admin"}},
    "/kb/manage/": {"read": {"agent", "csm", "admin"}, "write": {"agent", "csm", "admin"}},
    "/agent/": {"read": {"agent", "csm", "admin"}, "write": {"agent", "admin"}},
    "/success/": {"read": {"agent", "csm", "admin"}, "write": {"csm", "admin"}},
    # Customers only; staff are sent to the agent side of the same ticket.
    "/portal/": {"read": {"customer"}, "write": {"customer"}},
    # Whoever may see the ticket (tests/desk_customer checks the ticket-level rules).
    "/attachments/": {"read": {"customer", "agent", "csm", "admin"}, "write": set()},
}


def page_rules(app):
    return sorted(
        (r for r in app.url_map.iter_rules() if not r.rule.startswith("/api/")),
        key=lambda r: (r.rule, r.endpoint),
    )


def area_of(rule):
    return next((prefix for prefix in AREAS if rule.rule.startswith(prefix)), None)


def test_every_page_route_has_a_rule(app):
    missing = [r.rule for r in page_rules(app) if r.rule not in PUBLIC and area_of(r) is None]
    assert not missing, f"routes without a permission rule in tests/test_permissions.py: {missing}"


def expected(rule, method, role):
    """'ok', 'login', 'forbidden' or 'to_agent' (staff on a portal page)."""
    if rule.rule in PUBLIC:
        return "ok"
    area = area_of(rule)
    if role == "anonymous":
        return "login"
    allowed = AREAS[area]["write" if method == "POST" else "read"]
    if role in allowed:
        return "ok"
    if area == "/portal/":
        return "to_agent"
    return "forbidden"


@pytest.fixture
def rows(db, make_user, make_org, make_group, make_ticket):
    """One row of each kind a route argument can point to."""
    org = make_org("Acme")
    users = {
        "customer": make_user("customer", email="owner@acme.example", organization=org, password=None),
        "agent": make_user("agent", email="agent@tandem.example", password=None),
        "csm": make_user("csm", email="csm@tandem.example", password=None),
        "admin": make_user("admin", email="admin@tandem.example", password=None),
    }
    group = make_group("Billing", members=[users["agent"]])
    ticket = make_ticket(requester=users["customer"])
    job = JobRecord(name="mail.deliver", args=[0], status="failed", last_error="boom")
    mail = OutboundMail(to_addr="owner@acme.example", subject="Hello", body_text="Hi", body_html="<p>Hi</p>",
                        status="outbox", created_at=utcnow())
    from app.models.sla import BusinessCalendar, SlaPolicy

    calendar = BusinessCalendar(name="Office", timezone="UTC", hours={"0": [["09:00", "17:00"]]}, is_default=True)
    policy = SlaPolicy(name="Standard")
    db.session.add_all([job, mail, calendar, policy])
    from app.models import BlockedSender, Macro, SavedView

    view = SavedView(name="Urgent", owner_id=users["agent"].id, shared=True, filters={"priority": ["urgent"]})
    macro = Macro(name="Thanks", body="Hi {{ requester.first_name }}", actions={"status": "pending"})
    blocked = BlockedSender(email="spammer@spam.example")
    db.session.add_all([view, macro, blocked])
    from app.models.kb import KbArticle, KbCategory

    kb_category = KbCategory(name="Billing", slug="billing", description="", position=1, names={})
    db.session.add(kb_category)
    db.session.flush()
    kb_article = KbArticle(title="Refunds", body="Within 5 days.", locale="en", status="published",
                           visibility="public", category_id=kb_category.id, tags=[])
    db.session.add(kb_article)
    from app.models.health import HealthProfile, Segment

    segment = Segment(name="Enterprise", filters={"plans": ["enterprise"]})
    health_profile = HealthProfile(name="Renewals", stage="renewal", weights={"renewal": 20})
    db.session.add_all([segment, health_profile])
    from app.models.success import FeedbackItem, FeedbackVote, Topic

    topic = Topic(label="Export is empty", terms=["export"], terms_by_language={}, size=1, weekly_counts=[])
    db.session.add(topic)
    db.session.flush()
    ticket.topic_id = topic.id
    feedback = FeedbackItem(title="Fix the export", topics=[topic])
    db.session.add(feedback)
    db.session.flush()
    vote = FeedbackVote(feedback_id=feedback.id, user_id=users["csm"].id, organization_id=org.id)
    db.session.add(vote)
    from app.models.playbooks import CsmTask, Playbook, PlaybookRun, PlaybookRunStep, PlaybookStep, PlaybookTrigger

    playbook = Playbook(name="Outreach", status="active")
    pb_step = PlaybookStep(playbook=playbook, position=1, kind="task", title="Call")
    pb_trigger = PlaybookTrigger(playbook=playbook, kind="renewal_within", params={"days": 30})
    pb_run = PlaybookRun(playbook=playbook, organization_id=org.id, enrolled_at=utcnow(), baseline={})
    db.session.add_all([playbook, pb_step, pb_trigger, pb_run])
    db.session.flush()
    pb_run_step = PlaybookRunStep(run=pb_run, step_id=pb_step.id, position=1, kind="task", due_at=utcnow(),
                                  started_at=utcnow())
    db.session.add(pb_run_step)
    db.session.flush()
    pb_task = CsmTask(title="Call", organization_id=org.id, owner_id=users["csm"].id, run_step_id=pb_run_step.id,
                      due_at=utcnow())
    db.session.add(pb_task)
    from app.support.attachments import Upload, store_attachments

    [attachment] = store_attachments(ticket.messages[0], [Upload("notes.txt", "text/plain", b"hi")])
    db.session.commit()
    args = {
        "ticket_id": ticket.id, "user_id": users["agent"].id, "group_id": group.id,
        "organization_id": org.id, "article_id": kb_article.id, "job_id": job.id, "mail_id": mail.id,
        "token": "not-a-token", "filename": "tandem.css", "attachment_id": attachment.id,
        "calendar_id": calendar.id, "policy_id": policy.id,
        "view_id": view.id, "macro_id": macro.id, "sender_id": blocked.id,
        "slug": kb_category.slug, "category_id": kb_category.id, "code": "ru",
        "segment_id": segment.id, "profile_id": health_profile.id,
        "topic_id": topic.id, "feedback_id": feedback.id, "vote_id": vote.id,
        "playbook_id": playbook.id, "step_id": pb_step.id, "trigger_id": pb_trigger.id, "run_id": pb_run.id,
        "task_id": pb_task.id,
    }
    return {"users": {role: user.id for role, user in users.items()}, "args": args}


def as_user(app, user_id):
    """A client already signed in (a session cookie like the one /login sets)."""
    client = app.test_client()
    if user_id is not None:
        from app.extensions import db

        user = db.session.get(User, user_id)
        with client.session_transaction() as session:
            session["_user_id"] = user.get_id()
            session["_fresh"] = True
    return client


def build_path(rule, args):
    unknown = [name for name in rule.arguments if name not in args]
    assert not unknown, f"{rule.rule}: add a row builder for {unknown} in the `rows` fixture"
    return rule.build({name: args[name] for name in rule.arguments}, append_unknown=False)[1]


@pytest.mark.parametrize("role", ROLES)
def test_role_matrix(app, rows, role):
    wrong = []
    for rule in page_rules(app):
        for method in sorted(rule.methods & {"GET", "POST"}):
            path = build_path(rule, rows["args"])
            client = as_user(app, rows["users"].get(role))
            with client.open(path, method=method, data={}) as response:
                status, location = response.status_code, response.headers.get("Location", "")
            want = expected(rule, method, role)
            to_login = status == 302 and location.startswith("/login")
            ok = {
                "login": to_login and "next=" in location,
                "forbidden": status == 403,
                "to_agent": status == 302 and location.startswith("/agent/"),
                # Allowed: never refused, never an error; a GET of a protected page shows it.
                "ok": status < 500 and status not in (401, 403) and not to_login and (
                    method == "POST" or rule.rule in PUBLIC or status == 200),
            }[want]
            if not ok:
                wrong.append(f"{method} {path}: expected {want}, got {status} {location}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("method, path", [
    ("GET", "/portal/tickets/{id}"),
    ("POST", "/portal/tickets/{id}/reply"),
])
def test_customer_gets_404_for_another_customers_ticket(app, rows, make_user, db, method, path):
    from app.models import Message

    stranger = make_user("customer", email="stranger@elsewhere.example", password=None)
    ticket_id = rows["args"]["ticket_id"]
    response = as_user(app, stranger.id).open(path.format(id=ticket_id), method=method, data={"body": "Mine now"})
    assert response.status_code == 404
    assert db.session.scalar(db.select(db.func.count(Message.id))) == 1


def test_organization_members_see_shared_tickets_only_when_allowed(app, rows, make_user, db):
    from app.models import Organization

    colleague = make_user("customer", email="colleague@acme.example", password=None,
                          organization_id=db.session.scalar(db.select(Organization.id)))
    path = f"/portal/tickets/{rows['args']['ticket_id']}"
    assert as_user(app, colleague.id).get(path).status_code == 404
    org = db.session.scalar(db.select(Organization))
    org.shared_tickets = True
    db.session.commit()
    assert as_user(app, colleague.id).get(path).status_code == 200
    assert "Export is empty" in as_user(app, colleague.id).get("/portal/").get_data(as_text=True)
