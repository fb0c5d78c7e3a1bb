"""`flask success …` commands: topic mining on demand."""

import contextlib
import json
import sys
from collections import defaultdict

import click
from flask.cli import AppGroup
from flask_babel import gettext as _
from sqlalchemy import select

from app.cli.common import fail
from app.extensions import db

success = AppGroup("success", help="Customer success: recurring topics.")


@success.command("mine")
@click.option("--json", "as_json", is_flag=True,
              help='Print only {"topics": [{"id", "label", "terms", "size", "trend", "ticket_ids"}]}.')
def mine_command(as_json):
    """Mine every ticket into topics now (what the nightly job does), then check for spikes."""
    from app.models import Ticket
    from app.success.topic_mining import embed_missing, mine_topics
    from app.success.topics import detect_spikes

    try:
        # Whatever a library prints while loading its model must not spoil the JSON on stdout.
        with contextlib.redirect_stdout(sys.stderr):
            embed_missing(commit=True)
            topics = mine_topics()
            detect_spikes()
            db.session.commit()
    except Exception as exc:  # the command reports it instead of a traceback
        db.session.rollback()
        fail(_("Topic mining failed: %(error)s", error=f"{exc.__class__.__name__}: {exc}"[:500]))
    members = defaultdict(list)
    live = {t.id for t in topics}
    for ticket_id, topic_id in db.session.execute(
            select(Ticket.id, Ticket.topic_id).where(Ticket.topic_id.in_(live or [0])).order_by(Ticket.id)):
        members[topic_id].append(ticket_id)
    if as_json:
        click.echo(json.dumps({"topics": [
            {"id": t.id, "label": t.label, "terms": list(t.terms or []), "size": len(members[t.id]),
             "trend": t.trend, "ticket_ids": members[t.id]}
            for t in topics
        ]}, ensure_ascii=False))
        return
    placed = sum(len(v) for v in members.values())
    click.echo(_("%(topics)d topics, %(placed)d tickets placed", topics=len(topics), placed=placed))
    for t in topics:
        click.echo(f"#{t.id}  {t.size:>5}  {t.trend:<8} {t.label}")


def register(app):
    app.cli.add_command(success)
