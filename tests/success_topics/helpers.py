"""Small builders shared by the topic tests (no mining: topics made by hand)."""

from app.extensions import db
from app.models.success import Topic
from app.success.topic_mining import refresh_topics


def make_topic(label="Export is empty", tickets=(), status="active", terms=("export", "csv")):
    topic = Topic(label=label, terms=list(terms), terms_by_language={}, status=status, weekly_counts=[])
    db.session.add(topic)
    db.session.flush()
    for ticket in tickets:
        ticket.topic_id = topic.id
    db.session.flush()
    refresh_topics([topic.id])
    db.session.commit()
    return topic
