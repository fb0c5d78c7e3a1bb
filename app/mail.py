"""Outbound e-mail: a row per message, delivered by a job to SMTP or kept in the outbox.

`queue_mail` renders `templates/mail/<name>.txt` (first line `Subject: …`) and `<name>.html` in
the recipient's language and records the message in the caller's transaction; the `mail.deliver`
job sends it after the commit. Without `MAIL_SERVER` the message stays in the outbox (status
"outbox"), readable by admins at /admin/outbox and with `flask mail outbox`.
"""

import smtplib
from datetime import timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr

from flask import current_app, render_template
from flask_babel import force_locale
from jinja2 import TemplateNotFound
from sqlalchemy import or_, update

from app.core.locales import normalize_locale
from app.extensions import db
from app.jobs.core import enqueue, job
from app.models.base import utcnow
from app.models.jobs import OutboundMail

MAIL_STATES = ("queued", "sending", "sent", "outbox", "failed")
SUBJECT_MAX = 300


def _babel_locale(locale):
    """A supported language in Babel's spelling (zh-Hant → zh_Hant); English otherwise."""
    code = normalize_locale(locale)
    if code not in current_app.config["LANGUAGES"]:
        code = normalize_locale((code or "").split("-")[0])
    if code not in current_app.config["LANGUAGES"]:
        code = current_app.config.get("BABEL_DEFAULT_LOCALE", "en")
    return code.replace("-", "_")


def render_mail(template, locale=None, **context):
    """(subject, text, html or None) for `mail/<template>` in `locale`."""
    with force_locale(_babel_locale(locale)):
        text = render_template(f"mail/{template}.txt", **context)
        try:
            html = render_template(f"mail/{template}.html", **context)
        except TemplateNotFound:
            html = None
    subject, _, body = text.partition("\n")
    # One line, whatever the ticket's subject contained: a line break would end the header.
    subject = " ".join(subject.removeprefix("Subject:").split())[:SUBJECT_MAX]
    return subject, body.lstrip("\n"), html


def queue_mail(to_addr, template, *, kind="", ticket_id=None, locale=None, **context):
    """Record one e-mail and its delivery job in the current transaction."""
    subject, text, html = render_mail(template, locale, **context)
    mail = OutboundMail(
        to_addr=to_addr, subject=subject, body_text=text, body_html=html,
        kind=kind or template, ticket_id=ticket_id, status="queued",
    )
    db.session.add(mail)
    db.session.flush()
    enqueue("mail.deliver", mail.id)
    return mail


@job("mail.deliver", queue="default")
def deliver_mail(mail_id, now=None):
    """Send one recorded mail at most once; a failure marks it failed and fails the job (retryable)."""
    now = now or utcnow()
    cfg = current_app.config
    if not cfg.get("MAIL_SERVER"):
        db.session.execute(
            update(OutboundMail)
            .where(OutboundMail.id == mail_id, OutboundMail.status.in_(("queued", "failed")))
            .values(status="outbox", sent_at=now, error=None)
            .execution_options(synchronize_session=False)
        )
        return
    # Claim the message before talking to SMTP, so two runs never both send it. `sent_at` holds
    # the start of the attempt until it succeeds; an attempt that died long ago may be taken over.
    abandoned = now - timedelta(seconds=max(cfg["JOB_RETRY_AFTER_SECONDS"], 120))
    claimed = db.session.execute(
        update(OutboundMail)
        .where(
            OutboundMail.id == mail_id,
            or_(
                OutboundMail.status.in_(("queued", "failed")),
                (OutboundMail.status == "sending") & (OutboundMail.sent_at < abandoned),
            ),
        )
        .values(status="sending", sent_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    if not claimed:
        return
    mail = db.session.get(OutboundMail, mail_id)
    try:
        send_smtp(build_message(mail, cfg), cfg)
    except Exception as exc:
        db.session.rollback()
        db.session.execute(
            update(OutboundMail)
            .where(OutboundMail.id == mail_id)
            .values(status="failed", error=f"{exc.__class__.__name__}: {exc}"[:2000])
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
        raise
    mail.status = "sent"
    mail.sent_at = utcnow()
    mail.error = None


def build_message(mail, cfg):
    msg = EmailMessage()
    sender = cfg["MAIL_FROM"]
    domain = parseaddr(sender)[1].rpartition("@")[2] or "tandem.localhost"
    msg["From"] = sender
    msg["To"] = mail.to_addr
    msg["Subject"] = mail.subject
    msg["Date"] = formatdate(usegmt=True)
    # A fixed domain: make_msgid's default looks up this host's name, which can hang.
    msg["Message-ID"] = make_msgid(idstring=f"tandem-{mail.id}", domain=domain)
    # Notifications are automatic: out-of-office replies must not answer them (RFC 3834).
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(mail.body_text)
    if mail.body_html:
        msg.add_alternative(mail.body_html, subtype="html")
    return msg


def send_smtp(msg, cfg):
    with smtplib.SMTP(cfg["MAIL_SERVER"], cfg["MAIL_PORT"], timeout=30) as smtp:
        if cfg.get("MAIL_USE_TLS"):
            smtp.starttls()
        if cfg.get("MAIL_USERNAME"):
            smtp.login(cfg["MAIL_USERNAME"], cfg.get("MAIL_PASSWORD") or "")
        smtp.send_message(msg)
