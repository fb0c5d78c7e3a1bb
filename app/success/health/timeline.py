"""An account's timeline: tickets, replies, CSAT and NPS answers, health changes, notes and
playbook steps, newest first."""

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import select

from app.extensions import db
from app.models import CsatResponse, Message, Ticket
from app.models.health import AccountNote, HealthSnapshot, NpsResponse
from app.success.health.services import BAND_LABELS

PER_KIND = 30


def _playbook_events(org_id):
    try:
        from app.success.playbooks.services import account_timeline_events
    except ImportError:
        return []
    return list(account_timeline_events(org_id) or [])


def account_timeline(org_id, limit=60):
    events = []
    for t in db.session.scalars(select(Ticket).where(Ticket.organization_id == org_id, Ticket.is_spam.is_(False))
                                .order_by(Ticket.created_at.desc()).limit(PER_KIND)):
        events.append({"at": t.created_at, "kind": "ticket", "url": url_for("support.agent_ticket", ticket_id=t.id),
                       "text": _("Ticket #%(n)s opened: %(subject)s", n=t.id, subject=t.subject)})
    replies = db.session.execute(
        select(Message.created_at, Message.public, Ticket.id, Ticket.subject)
        .join(Ticket, Ticket.id == Message.ticket_id)
        .where(Ticket.organization_id == org_id, Ticket.is_spam.is_(False))
        .order_by(Message.created_at.desc()).limit(PER_KIND)).all()
    for at, public, tid, subject in replies:
        events.append({"at": at, "kind": "reply" if public else "note",
                       "url": url_for("support.agent_ticket", ticket_id=tid),
                       "text": (_("Reply on #%(n)s: %(subject)s", n=tid, subject=subject) if public
                                else _("Internal note on #%(n)s: %(subject)s", n=tid, subject=subject))})
    for at, rating, tid in db.session.execute(
            select(CsatResponse.updated_at, CsatResponse.rating, Ticket.id)
            .join(Ticket, Ticket.id == CsatResponse.ticket_id).where(Ticket.organization_id == org_id)
            .order_by(CsatResponse.updated_at.desc()).limit(PER_KIND)):
        events.append({"at": at, "kind": "csat", "url": url_for("support.agent_ticket", ticket_id=tid),
                       "text": _("CSAT on #%(n)s: good", n=tid) if rating == "good" else _("CSAT on #%(n)s: bad", n=tid)})
    for r in db.session.scalars(select(NpsResponse).where(NpsResponse.organization_id == org_id,
                                                          NpsResponse.answered_at.is_not(None))
                                .order_by(NpsResponse.answered_at.desc()).limit(PER_KIND)):
        text = _("NPS answer from %(who)s: %(score)s", who=r.user.display_name, score=r.score)
        if r.comment:
            text += " — " + r.comment[:200]
        events.append({"at": r.answered_at, "kind": "nps", "url": None, "text": text})
    snapshots = db.session.execute(select(HealthSnapshot.day, HealthSnapshot.band, HealthSnapshot.score)
                                   .where(HealthSnapshot.organization_id == org_id)
                                   .order_by(HealthSnapshot.day).limit(400)).all()
    from datetime import datetime, timezone

    previous = None
    for day, band, score in snapshots:
        if previous is not None and band != previous:
            events.append({"at": datetime.combine(day, datetime.min.time(), tzinfo=timezone.utc), "kind": "health",
                           "url": None, "text": _("Health changed from %(old)s to %(new)s (%(score)s)",
                                                  old=BAND_LABELS.get(previous, previous or "—"),
                                                  new=BAND_LABELS.get(band, band or "—"), score=score)})
        previous = band
    for n in db.session.scalars(select(AccountNote).where(AccountNote.organization_id == org_id)
                                .order_by(AccountNote.created_at.desc()).limit(PER_KIND)):
        who = n.author.display_name if n.author else _("Someone")
        events.append({"at": n.created_at, "kind": "note", "url": None, "text": f"{who}: {n.body}"})
    for e in _playbook_events(org_id):
        events.append({"at": e["at"], "kind": e.get("kind") or "playbook", "url": e.get("url"), "text": e["text"]})
    events.sort(key=lambda e: e["at"], reverse=True)
    return events[:limit]
