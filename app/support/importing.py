"""Importing tickets from CSV: every row is checked before anything is written.

`parse_ticket_csv` turns the file into validated rows (or a `CsvImportError` listing every bad
line); `import_tickets` writes them with a handful of bulk INSERTs and enqueues one
`support.tickets_imported` job for the whole batch. It flushes, never commits: the caller commits
once, so an import is all or nothing.
"""

import csv
import io
from dataclasses import dataclass
from datetime import datetime, timezone

from flask_babel import gettext as _
from sqlalchemy import func, insert, select

from app.core.errors import DomainError
from app.extensions import db
from app.jobs import enqueue, job
from app.models import Message, Organization, OrganizationDomain, Ticket, TicketEvent, TicketSearchDocument, User
from app.models.base import utcnow
from app.support import rules
from app.support.search import document
from app.support.services import normalize_email, parse_language, parse_priority

COLUMNS = ("subject", "body", "requester_email", "organization", "created_at", "priority", "language")
# Imported tickets reached Tandem through neither the web form nor a mailbox but by a program,
# which is what the "api" channel stands for (SLA policies may match on it).
IMPORT_CHANNEL = "api"
MAX_REPORTED_ERRORS = 50
_CHUNK = 500  # bound parameters per IN (...) lookup


class CsvImportError(DomainError):
    """The file cannot be imported; `errors` holds (line or None, reason) pairs, in file order."""

    def __init__(self, errors):
        self.errors = errors
        super().__init__("; ".join(format_error(line, reason) for line, reason in errors[:3]))


def format_error(line, reason):
    return f"line {line}: {reason}" if line is not None else reason


@dataclass
class ImportRow:
    line: int
    subject: str
    body: str
    requester_email: str | None
    organization: str | None
    created_at: datetime | None
    priority: int
    language: str | None


# --- reading and checking --------------------------------------------------------------------

def _decode(data):
    """Text of the file; a byte that is not UTF-8 is reported on the record that holds it."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        prefix = data[: exc.start].decode("utf-8-sig", errors="replace")
        # The bad byte belongs to the last record of everything before it.
        line = sum(1 for _row in csv.reader(io.StringIO(prefix + "x")))
        raise CsvImportError([(line, _("the file is not UTF-8 text; save it as CSV UTF-8"))]) from None


def _records(text):
    """(line, fields) per CSV record; the header is line 1, a line is one record (spreadsheet row)."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    line = 0
    while True:
        line += 1
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise CsvImportError([(line, _("malformed CSV (%(detail)s)", detail=exc))]) from None
        yield line, fields


def _read_header(fields):
    names = [name.strip().lower() for name in fields]
    unknown = [name for name in names if name not in COLUMNS]
    if unknown:
        raise CsvImportError([(1, _(
            "unknown column %(name)r; the columns are: %(columns)s",
            name=unknown[0], columns=", ".join(COLUMNS),
        ))])
    duplicated = sorted({name for name in names if names.count(name) > 1})
    if duplicated:
        raise CsvImportError([(1, _("the column %(name)r appears twice", name=duplicated[0]))])
    if "body" not in names:
        raise CsvImportError([(1, _("the header has no body column (the only required one)"))])
    return names


def parse_created_at(raw, now):
    """ISO 8601 date or date-time; without a time zone it is UTC. Never in the future."""
    text = raw.strip()
    try:
        value = datetime.fromisoformat(text)  # dates, "T" or " " separators, "Z" and offsets
    except ValueError:
        raise DomainError(_(
            "created_at %(value)r is not an ISO 8601 date or time such as 2024-05-01 or "
            "2024-05-01T09:30:00+02:00", value=raw,
        )) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    value = value.astimezone(timezone.utc)
    if value > now:
        raise DomainError(_("created_at %(value)s is in the future", value=raw.strip()))
    return value


def _clean_row(line, values, now):
    get = lambda name: (values.get(name) or "").strip()  # noqa: E731
    body = get("body")
    if not body:
        raise DomainError(_("the body is empty"))
    if len(body) > rules.BODY_MAX:
        raise DomainError(_("the body is too long (%(n)d characters; at most %(max)d)",
                            n=len(body), max=rules.BODY_MAX))
    subject = get("subject")
    if len(subject) > rules.SUBJECT_MAX:
        raise DomainError(_("the subject is too long (%(n)d characters; at most %(max)d)",
                            n=len(subject), max=rules.SUBJECT_MAX))
    email = get("requester_email")
    if email:
        try:
            email = normalize_email(email)
        except DomainError as exc:
            raise DomainError(_("invalid requester_email %(value)r: %(reason)s",
                                value=email, reason=exc.message)) from None
    return ImportRow(
        line=line,
        subject=subject or rules.subject_from_body(body),
        body=body,
        requester_email=email or None,
        organization=get("organization") or None,
        created_at=parse_created_at(get("created_at"), now) if get("created_at") else None,
        priority=parse_priority(get("priority") or None),
        language=parse_language(get("language") or None),
    )


def parse_ticket_csv(data, now=None):
    """Validated rows of a tickets CSV (bytes), or CsvImportError naming every bad line."""
    now = now or utcnow()
    text = _decode(data)
    if not text.strip():
        raise CsvImportError([(None, _("the file is empty; the first line must be a header such as "
                                       "subject,body,requester_email"))])
    records = _records(text)
    line, header = next(records)
    names = _read_header(header)
    rows, errors = [], []
    for line, fields in records:
        if not fields or (fields == [""] and len(names) > 1):
            continue  # a blank line is not a ticket
        if len(fields) != len(names):
            errors.append((line, _("expected %(expected)d fields like the header, found %(found)d",
                                   expected=len(names), found=len(fields))))
            continue
        try:
            rows.append(_clean_row(line, dict(zip(names, fields)), now))
        except DomainError as exc:
            errors.append((line, exc.message))
    if errors:
        raise CsvImportError(errors)
    return rows


# --- writing ---------------------------------------------------------------------------------

def _chunks(items):
    items = list(items)
    for start in range(0, len(items), _CHUNK):
        yield items[start:start + _CHUNK]


def _organizations_by_name(rows):
    names = {row.organization.lower() for row in rows if row.organization}
    found = {}
    for chunk in _chunks(names):
        for org in db.session.scalars(select(Organization).where(func.lower(Organization.name).in_(chunk))):
            found[org.name.lower()] = org
    errors = [
        (row.line, _("no organization is called %(name)r; create it first on the admin page "
                     "(imports never create organizations, so a typo cannot add one)", name=row.organization))
        for row in rows if row.organization and row.organization.lower() not in found
    ]
    if errors:
        raise CsvImportError(errors)
    return found


def _organizations_by_domain(emails):
    domains = {email.rsplit("@", 1)[1] for email in emails}
    found = {}
    for chunk in _chunks(domains):
        for domain, org_id in db.session.execute(
            select(OrganizationDomain.domain, OrganizationDomain.organization_id)
            .where(OrganizationDomain.domain.in_(chunk))
        ):
            found[domain] = org_id
    return found


def _requesters(rows, orgs, now):
    """E-mail → user id; customers new to Tandem are created (without a password) in one INSERT."""
    emails = {row.requester_email for row in rows if row.requester_email}
    users = {}
    for chunk in _chunks(emails):
        users.update({u.email: u for u in db.session.scalars(select(User).where(User.email.in_(chunk)))})
    ids = {email: user.id for email, user in users.items()}
    # Like a first ticket from the web form: a customer without an organization joins the row's.
    for row in rows:
        user = users.get(row.requester_email)
        if user is not None and row.organization and user.role == "customer" and user.organization_id is None:
            user.organization_id = orgs[row.organization.lower()].id
    new_emails = sorted(emails - users.keys())
    if not new_emails:
        return ids
    unknown = set(new_emails)
    first_org = {}
    for row in rows:
        if row.requester_email in unknown and row.organization:
            first_org.setdefault(row.requester_email, orgs[row.organization.lower()].id)
    by_domain = _organizations_by_domain(new_emails)
    values = [
        {"email": email, "name": "", "role": "customer", "active": True, "password_hash": None,
         "organization_id": first_org.get(email, by_domain.get(email.rsplit("@", 1)[1])),
         "created_at": now}
        for email in new_emails
    ]
    new_ids = db.session.scalars(
        insert(User).returning(User.id, sort_by_parameter_order=True), values
    ).all()
    ids.update(zip(new_emails, new_ids))
    return ids


def import_tickets(rows, actor=None, now=None):
    """Write validated rows as new tickets; returns their ids in row order. Flushes, never commits."""
    now = now or utcnow()
    if not rows:
        return []
    db.session.flush()
    orgs = _organizations_by_name(rows)
    requester_ids = _requesters(rows, orgs, now)
    db.session.flush()
    requester_org = {}
    if requester_ids:
        for chunk in _chunks(requester_ids.values()):
            requester_org.update(db.session.execute(
                select(User.id, User.organization_id).where(User.id.in_(chunk))).all())

    tickets = []
    for row in rows:
        created = row.created_at or now
        requester_id = requester_ids.get(row.requester_email) if row.requester_email else None
        org_id = orgs[row.organization.lower()].id if row.organization else requester_org.get(requester_id)
        tickets.append({
            "subject": row.subject, "status": "new", "priority": row.priority, "channel": IMPORT_CHANNEL,
            "language": row.language, "requester_id": requester_id, "organization_id": org_id,
            "created_at": created, "updated_at": created, "version": 1,
        })
    ticket_ids = db.session.scalars(
        insert(Ticket).returning(Ticket.id, sort_by_parameter_order=True), tickets
    ).all()

    db.session.execute(insert(Message), [
        {"ticket_id": ticket_id, "author_id": values["requester_id"], "body": row.body, "public": True,
         "via": IMPORT_CHANNEL, "created_at": values["created_at"]}
        for ticket_id, values, row in zip(ticket_ids, tickets, rows)
    ])
    actor_id = actor.id if actor is not None else None
    db.session.execute(insert(TicketEvent), [
        {"ticket_id": ticket_id, "actor_id": actor_id or values["requester_id"], "kind": "created",
         "field": None, "old_value": None, "new_value": "new", "created_at": values["created_at"],
         "data": {"channel": IMPORT_CHANNEL, "priority": rules.PRIORITY_NAMES[values["priority"]],
                  "imported_at": now.isoformat()}}
        for ticket_id, values in zip(ticket_ids, tickets)
    ])
    # Bulk INSERTs bypass the per-flush search indexing; an imported ticket has no internal notes.
    texts = (document(row.subject, row.body) for row in rows)
    db.session.execute(insert(TicketSearchDocument), [
        {"ticket_id": ticket_id, "public_text": text, "full_text": text} for ticket_id, text in zip(ticket_ids, texts)
    ])
    # One job for the batch: no "ticket received" mails, and follow-up work runs once, not per row.
    enqueue("support.tickets_imported", list(ticket_ids))
    return list(ticket_ids)


# --- follow-up work --------------------------------------------------------------------------

# Steps run once per imported batch, each called as step(ticket_ids, now). The SLA engine adds
# one that starts targets from each ticket's created_at (past-due ones are then marked breached by
# the next sweep, without escalation actions); topic mining adds one that assigns the batch.
AFTER_IMPORT_STEPS = []


def after_import(step):
    """Register `step(ticket_ids, now)` to run once for every imported batch."""
    AFTER_IMPORT_STEPS.append(step)
    return step


@job("support.tickets_imported", queue="low")
def tickets_imported(ticket_ids):
    """Follow-up work for an imported batch; steps must be safe to run twice."""
    existing = []
    for chunk in _chunks(ticket_ids):
        existing.extend(db.session.scalars(select(Ticket.id).where(Ticket.id.in_(chunk))))
    if not existing:
        return
    now = utcnow()
    for step in AFTER_IMPORT_STEPS:
        step(sorted(existing), now)
