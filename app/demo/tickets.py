"""A few hundred demo tickets over the last ~90 days, written through the support services.

Every change goes through the same service calls agents use, with explicit times, so the event
trail, messages and timestamps of each ticket tell one consistent story.
"""

from datetime import timedelta

from app.demo.accounts import AGENTS_BY_LANGUAGE
from app.demo.texts import APPS, INTEGRATIONS, TOPIC_META, texts_for
from app.support.services import add_message, assign_ticket, change_status, create_ticket, set_group, set_tags

TICKET_COUNT = 360
STATUS_WEIGHTS = {"new": 10, "open": 18, "pending": 12, "on_hold": 6, "solved": 20, "closed": 34}
PRIORITY_WEIGHTS = {"low": 20, "normal": 50, "high": 22, "urgent": 8}
CHANNEL_WEIGHTS = {"web": 55, "email": 35, "api": 10}
# Problems that block people come in hotter.
URGENT_TOPICS = {"sso_login", "double_charge", "mobile_crash"}
# The customer@example.com portal shows one ticket in each state.
PORTAL_STATUSES = ("new", "open", "pending", "on_hold", "solved", "closed", "closed", "open")

_AMOUNT = {
    "en": "${:,}.00", "ru": "{:,} ₽", "bg": "{:,} €", "zh-Hant": "NT${:,}", "zh-Hans": "¥{:,}", "ja": "¥{:,}",
}


def _pick(rng, weights):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _topic(rng, created, now):
    # The export regression is a rising topic: most of its tickets came in the last two weeks.
    weights = {key: 1.0 for key in TOPIC_META}
    if now - created < timedelta(days=14):
        weights["export_empty"] = 6.0
    else:
        weights["export_empty"] = 0.3
    return _pick(rng, weights)


def _timeline(rng, status, now):
    """(created, end): when the ticket came in and when its last change happened."""
    hours = lambda a, b: timedelta(hours=rng.uniform(a, b))  # noqa: E731
    if status == "new":
        created = now - hours(0.2, 36)
        return created, created
    if status in ("open", "pending", "on_hold"):
        created = now - hours(4, 24 * 30 * rng.random() ** 2 + 4)
        return created, now - hours(0.05, min(3, (now - created).total_seconds() / 3600 / 2))
    if status == "solved":  # solved recently, or the close job would already have closed it
        end = now - hours(1, 24 * 3.5)
        return end - hours(2, 72), end
    created = now - hours(24 * 10, 24 * 90)
    return created, created + hours(2, 24 * 4)


def _fill(template, values):
    return template.format(**values)


class _Story:
    """Writes one ticket's history: times advance through the span between created and end."""

    def __init__(self, demo, ticket, requester, agent, start, end):
        self.demo, self.ticket, self.requester, self.agent = demo, ticket, requester, agent
        self.start, self.end = start, end
        self.steps = 0

    def at(self, fraction):
        return self.start + (self.end - self.start) * fraction

    def agent_says(self, text, fraction, public=True):
        add_message(self.ticket, self.agent, text, public=public, now=self.at(fraction), notify=False)

    def customer_says(self, text, fraction):
        add_message(self.ticket, self.requester, text, public=True, now=self.at(fraction), notify=False)

    def status(self, status, fraction, actor="agent"):
        change_status(self.ticket, self.agent if actor == "agent" else None, status, now=self.at(fraction))


def _write_ticket(demo, requester, language, status, created, end):
    rng, now = demo.rng, demo.now
    texts = texts_for(language)
    topic = _topic(rng, created, now)
    template = texts.TOPICS[topic]
    values = {
        "name": requester.first_name, "report": rng.choice(texts.REPORTS), "integration": rng.choice(INTEGRATIONS),
        "app": rng.choice(APPS), "invoice": f"INV-{now.year}-{rng.randint(1000, 9999)}",
        "n": rng.choice((12, 25, 40, 85, 150, 300, 480)),
        "amount": _AMOUNT[language].format(rng.choice((49, 240, 1200, 4800))),
    }
    priority = _pick(rng, PRIORITY_WEIGHTS)
    if topic in URGENT_TOPICS and rng.random() < 0.6:
        priority = rng.choice(("high", "urgent"))
    ticket = create_ticket(
        None, body=_fill(template["body"], values), subject=_fill(template["subject"], values),
        requester_email=requester.email, priority=priority, channel=_pick(rng, CHANNEL_WEIGHTS),
        language=language, created_at=created, notify=False, now=created,
    )
    agents = AGENTS_BY_LANGUAGE[language]
    agent = demo.users[agents[0] if rng.random() < 0.8 else rng.choice(agents)]
    story = _Story(demo, ticket, requester, agent, created, end)
    meta = TOPIC_META[topic]
    group = demo.groups[meta["group"]]

    if status == "new":
        if rng.random() < 0.4:  # triaged into a group, not yet picked up
            set_group(ticket, agent, group, now=created + timedelta(minutes=3))
            set_tags(ticket, agent, meta["tags"], now=created + timedelta(minutes=3))
        return ticket

    set_group(ticket, agent, group, now=story.at(0.02))
    set_tags(ticket, agent, meta["tags"], now=story.at(0.02))
    if status != "open" or rng.random() < 0.75:  # a few open tickets wait unassigned in the group
        assign_ticket(ticket, agent, agent, now=story.at(0.03))
    if rng.random() < 0.35:
        story.agent_says(_fill(template["note"], values), 0.05, public=False)

    if status == "open":
        story.agent_says(_fill(rng.choice(texts.ASK_MORE), values), 0.3)
        story.customer_says(rng.choice(texts.CUSTOMER_MORE), 0.9)
    elif status == "pending":
        story.agent_says(_fill(rng.choice(texts.ASK_MORE), values), 0.4)
        story.status("pending", 0.4)
    elif status == "on_hold":
        story.agent_says(_fill(rng.choice(texts.ASK_MORE), values), 0.2)
        story.customer_says(rng.choice(texts.CUSTOMER_MORE), 0.5)
        story.agent_says(rng.choice(texts.HOLD_NOTES), 0.8, public=False)
        story.status("on_hold", 0.8)
    else:  # solved or closed
        reopened = rng.random() < 0.12
        story.agent_says(_fill(template["reply"], values), 0.25 if reopened else 0.4)
        if reopened:
            story.status("solved", 0.3)
            story.customer_says(rng.choice(texts.CUSTOMER_REOPEN), 0.5)
            story.agent_says(_fill(template["reply"], values), 0.7)
        if rng.random() < 0.5:
            story.customer_says(rng.choice(texts.CUSTOMER_THANKS), 0.85)
            story.agent_says(_fill(rng.choice(texts.SOLVED), values), 0.95)
        story.status("solved", 1.0 if status == "solved" else 0.96)
        if status == "closed":
            # Closed by the close-solved job a few days after it was solved.
            story.end = story.at(0.96) + timedelta(days=4, minutes=rng.randint(1, 600))
            story.status("closed", 1.0, actor=None)
    return ticket


def seed_tickets(demo):
    rng, now = demo.rng, demo.now
    profiles = demo.org_profile
    names = list(profiles)
    weights = [profiles[name]["weight"] for name in names]
    portal_user = demo.users["customer@example.com"]
    for index in range(TICKET_COUNT):
        if index < len(PORTAL_STATUSES):
            requester, language, status = portal_user, "en", PORTAL_STATUSES[index]
        else:
            org = rng.choices(names, weights=weights)[0]
            requester = rng.choice(profiles[org]["customers"])
            language, status = profiles[org]["language"], _pick(rng, STATUS_WEIGHTS)
        created, end = _timeline(rng, status, now)
        demo.tickets.append(_write_ticket(demo, requester, language, status, created, end))
