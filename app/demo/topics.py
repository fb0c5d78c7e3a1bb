"""Demo topics: mines the seeded tickets, adds product feedback."""

from sqlalchemy import select

from app.extensions import db
from app.models import Ticket


def seed_topics(demo):
    """Mine the demo tickets (the same job as the nightly run) and file feedback on the top topics."""
    from app.success.feedback import change_status, create_item, prefill_from_topic
    from app.success.topic_mining import mine_topics
    from app.success.topics import detect_spikes

    topics = mine_topics(now=demo.now)
    detect_spikes(now=demo.now, notify=False)  # seeding mails nobody
    csm = demo.users.get("csm@example.com")
    if not topics:
        return
    # The rising one first: that is the topic the demo story is about.
    ranked = sorted(topics, key=lambda t: ({"rising": 0, "new": 1}.get(t.trend, 2), -t.size))
    for index, topic in enumerate(ranked[:2]):
        values = prefill_from_topic(topic)
        some = select(Ticket.id).where(Ticket.topic_id == topic.id).order_by(Ticket.id).limit(3)
        item = create_item(csm, values["title"], values["description"], type="bug" if index == 0 else "usability",
                           importance="high" if index == 0 else "medium", topic_ids=[topic.id],
                           ticket_ids=list(db.session.scalars(some)), now=demo.now)
        if index == 1:
            change_status(item, csm, "planned", note="On the roadmap for next quarter.", now=demo.now)
    create_item(csm, "Export invoices as PDF in bulk", "Several accounts asked for a bulk PDF download of invoices.",
                type="feature_request", importance="low", now=demo.now)

