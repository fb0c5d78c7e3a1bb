"""Outbound e-mail: a row per message, delivered by a job to SMTP or kept in the outbox."""

import smtplib
from email.message import EmailMessage
from email.utils import make_msgid

from flask import current_app, render_template
from flask_babel import force_locale

from app.extensions import db
from app.jobs.core import enqueue, job
from app.models.base import utcnow
from app.models.jobs import OutboundMail


def queue_mail(to_addr, template, *, kind="", ticket_id=None, locale=None, **context):
    """Render `mail/<template>.txt` (+ `.html`) in the recipient's language and record it.

    The first line of the text template is the subject (`Subject: …`). Delivery is a job
    dispatched when the caller's transaction commits.
    """
    with force_locale(locale or "en"):
        text = render_template(f"mail/{template}.txt", **context)
        try:
            html = render_template(f"mail/{template}.html", **context)
        except Exception:  # TemplateNotFound: plain text only
            html = None
    subject, _, body = text.partition("\n")
    subject = subject.removeprefix("Subject:").strip()
    mail = OutboundMail(
        to_addr=to_addr, subject=subject[:300], body_text=body.lstrip("\n"), body_html=html,
        kind=kind or template, ticket_id=ticket_id,
    )
    db.session.add(mail)
    db.session.flush()
    enqueue("mail.deliver", mail.id)
    return mail


@job("mail.deliver", queue="default")
def deliver_mail(mail_id):
    """Send one recorded mail; a mail already sent is left alone (safe to run twice)."""
    mail = db.session.get(OutboundMail, mail_id)
    if mail is None or mail.status in ("sent", "outbox"):
        return
    cfg = current_app.config
    if not cfg.get("MAIL_SERVER"):
        mail.status = "outbox"
        mail.sent_at = utcnow()
        return
    msg = EmailMessage()
    msg["From"] = cfg["MAIL_FROM"]
    msg["To"] = mail.to_addr
    msg["Subject"] = mail.subject
    msg["Message-ID"] = make_msgid(idstring=f"tandem-{mail.id}")
    msg.set_content(mail.body_text)
    if mail.body_html:
        msg.add_alternative(mail.body_html, subtype="html")
    with smtplib.SMTP(cfg["MAIL_SERVER"], cfg["MAIL_PORT"], timeout=30) as smtp:
        if cfg.get("MAIL_USE_TLS"):
            smtp.starttls()
        if cfg.get("MAIL_USERNAME"):
            smtp.login(cfg["MAIL_USERNAME"], cfg.get("MAIL_PASSWORD") or "")
        smtp.send_message(msg)
    mail.status = "sent"
    mail.sent_at = utcnow()
