"""Support use cases. Each takes an actor, values and `now`; it flushes, never commits."""

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value

from app.core.errors import Conflict, DomainError, NotFound
from app.core.locales import normalize_locale
from app.extensions import db
from app.jobs import enqueue
from app.models import Group, Message, Organization, OrganizationDomain, Tag, Ticket, TicketEvent, User
from app.models.base import utcnow
from app.support import rules
from app.support.search import document
from app.support.sla import services as sla
from app.support.ticket_rows import NEW_REQUESTER, sender_facts, write_ticket_rows


def normalize_email(raw):
    """A valid address in canonical form, or DomainError with a message a person understands."""
    raw = (raw or "").strip()
    if not raw:
        raise DomainError("An e-mail address is required.", field="email")
    if len(raw) > 254:
        raise DomainError("That e-mail address is too long.", field="email")
    try:
        result = validate_email(raw, check_deliverability=False)
    except EmailNotValidError as exc:
        raise DomainError(f"That e-mail address is not valid: {exc}", field="email") from None
    return result.normalized.lower()


def parse_priority(value, default="normal"):
    name = (value or default).strip().lower() if isinstance(value, str) or value is None else value
    if name not in rules.PRIORITIES:
        raise DomainError(
            f"Unknown priority {value!r}; use one of: {', '.join(rules.PRIORITIES)}.", field="priority"
        )
    return rules.PRIORITIES[name]


def parse_language(value):
    if value in (None, ""):
        return None
    code = normalize_locale(value)
    if code is None:
        raise DomainError(f"{value!r} is not a language code such as en, ru or zh-Hant.", field="language")
    return code


def organization_by_name(name):
    if not name:
        return None
    org = db.session.scalar(select(Organization).where(func.lower(Organization.name) == name.strip().lower()))
    if org is None:
        raise DomainError(f"No organization is called {name!r}.", field="organization")
    return org


def organization_for_email(email):
    domain = email.rsplit("@", 1)[-1]
    row = db.session.scalar(select(OrganizationDomain).where(OrganizationDomain.domain == domain))
    return row and db.session.get(Organization, row.organization_id)


def find_or_create_customer(email, name="", organization=None, now=None):
    """The user with this address, or a new customer without a password (set later by link)."""
    email = normalize_email(email)
    user = db.session.scalar(select(User).where(User.email == email))
    if user is not None:
        if organization is not None and user.organization_id is None and user.role == "customer":
            user.organization = organization
        return user, False
    user = User(
        email=email,
        name=(name or "").strip()[:200],
        role="customer",
        organization=organization or organization_for_email(email),
        created_at=now or utcnow(),
    )
    # No flush of its own: the caller's next flush inserts the user with the ticket (one round trip
    # of the unit of work less on the public form).
    db.session.add(user)
    return user, True


def record_event(ticket, actor, kind, field=None, old=None, new=None, now=None, data=None):
    event = TicketEvent(
        ticket=ticket, actor=actor, kind=kind, field=field,
        old_value=None if old is None else str(old), new_value=None if new is None else str(new),
        data=data, created_at=now or utcnow(),
    )
    db.session.add(event)
    return event


def _clean_text(value, field, label, limit, required):
    text = (value or "").strip() if isinstance(value, str) or value is None else None
    if text is None:
        raise DomainError(f"{label} must be text.", field=field)
    if required and not text:
        raise DomainError(f"{label} is required.", field=field)
    if len(text) > limit:
        raise DomainError(f"{label} is too long ({len(text)} characters; at most {limit}).", field=field)
    return text


def create_ticket(
    actor,
    *,
    body,
    subject="",
    requester_email=None,
    requester_name="",
    requester_locale=None,
    organization=None,
    priority=None,
    channel="web",
    language=None,
    created_at=None,
    notify=True,
    now=None,
):
    """Open a ticket with its first public message. `actor` may be None (anonymous web form).

    `requester_locale`: the language a requester created here is written to (the form's language).
    """
    now = now or utcnow()
    body = _clean_text(body, "body", "The description", rules.BODY_MAX, required=True)
    subject = _clean_text(subject, "subject", "The subject", rules.SUBJECT_MAX, required=False)
    if channel not in rules.CHANNELS:
        raise DomainError(f"Unknown channel {channel!r}.", field="channel")
    prio = parse_priority(priority)
    lang = parse_language(language)
    # Written through Core, not the unit of work: its dependency sort and per-object bookkeeping over
    # two flushes were most of a public submission's CPU. The rows and hooks are the same.
    db.session.flush()  # the lookups below read through the connection: pending changes first
    connection = db.session.connection()
    address = requester_email or (actor.email if actor is not None and not actor.is_staff else None)
    bad_address = None
    if address:
        try:
            address = normalize_email(address)
        except DomainError as exc:
            # Never blocked; the error is raised where the old lookup order raised it.
            address, bad_address = None, exc
    blocked, user_id, domain_org_id = sender_facts(connection, address) if address else (None, None, None)
    if blocked is not None:
        from app.support.spam import BlockedSenderError  # spam.py builds on this module

        raise BlockedSenderError(gettext("We cannot accept requests from this e-mail address."), field="email")
    org = organization_by_name(organization) if isinstance(organization, str) else organization
    requester = new_requester = None
    if requester_email:
        if bad_address is not None:
            raise bad_address
        if user_id is not None:
            requester = db.session.get(User, user_id)
            if org is not None and requester.organization_id is None and requester.role == "customer":
                requester.organization = org
        else:
            if org is None and domain_org_id is not None:
                org = db.session.get(Organization, domain_org_id)
            new_requester = {
                "email": address, "name": (requester_name or "").strip()[:200], "role": "customer",
                "organization_id": org.id if org is not None else None, "created_at": now,
                "locale": normalize_locale(requester_locale) if requester_locale else None,
            }
    elif actor is not None and not actor.is_staff:
        requester = actor
    if org is None and requester is not None:
        org = requester.organization
    created = created_at or now
    subject = subject or rules.subject_from_body(body)
    text = document(subject, body)  # public and full documents: no internal note yet
    requester_id = NEW_REQUESTER if new_requester is not None else requester.id if requester is not None else None
    has_requester = requester_id is not None
    jobs = [("support.ticket_created", (bool(notify and has_requester),))]
    from app.success.jobs import attach_on_arrival  # the success module builds on this one

    if attach_on_arrival():
        jobs.append(("success.embed_ticket", ()))  # topic mining: store its vector, attach it to a topic
    written, ticket, message = write_ticket_rows(connection, new_requester, {
        "subject": subject, "status": "new", "priority": prio,
        "channel": channel, "language": lang, "requester_id": requester_id,
        "organization_id": org.id if org is not None else None, "created_at": created, "updated_at": created,
    }, {
        "author_id": requester_id, "body": body,
        "public": True, "via": channel, "created_at": created,
    }, {"public_text": text, "full_text": text}, {
        "actor_id": actor.id if actor is not None else requester_id, "kind": "created", "new_value": "new",
        "created_at": created, "data": {"channel": channel, "priority": rules.PRIORITY_NAMES[prio]},
    }, jobs)
    if written is not None:
        requester = written
        set_committed_value(requester, "organization", org)
    # Known already: hooks and callers reading these need no query.
    for name, value in (("requester", requester), ("organization", org), ("group", None), ("assignee", None),
                        ("tags", []), ("messages", [message]), ("follow_up_of", None)):
        set_committed_value(ticket, name, value)
    for name, value in (("ticket", ticket), ("author", requester), ("attachments", [])):
        set_committed_value(message, name, value)
    sla.ticket_created(ticket, now)
    return ticket


def create_ticket_first_in_transaction(*args, **kwargs):
    """create_ticket for a caller that has written nothing else in this transaction yet: when a
    request from the same new address created the requester a moment before (its insert then
    fails on the unique e-mail), the transaction is rolled back and the ticket written again,
    finding that requester, instead of failing."""
    try:
        return create_ticket(*args, **kwargs)
    except IntegrityError:
        db.session.rollback()
        return create_ticket(*args, **kwargs)


def get_ticket(ticket_id):
    ticket = db.session.get(Ticket, ticket_id)
    if ticket is None:
        raise NotFound("Ticket not found.")
    return ticket


def check_version(ticket, expected_version):
    if expected_version is not None and int(expected_version) != ticket.version:
        raise Conflict(
            "Someone else changed this ticket since you opened it. Reload it to see their changes."
        )


def change_status(ticket, actor, new_status, now=None):
    now = now or utcnow()
    old = ticket.status
    if new_status == old:
        return False
    if new_status not in rules.STATUSES:
        raise DomainError(
            f"Unknown status {new_status!r}; use one of: {', '.join(rules.STATUSES)}.", field="status"
        )
    if not rules.can_transition(old, new_status):
        raise DomainError(f"A {old} ticket cannot become {new_status}.", field="status")
    ticket.status = new_status
    if new_status == "solved":
        ticket.solved_at = now
    elif new_status == "closed":
        ticket.closed_at = now
    if rules.is_reopen(old, new_status):
        ticket.reopen_count += 1
        ticket.solved_at = None
    ticket.updated_at = now
    record_event(ticket, actor, "status", "status", old, new_status, now=now)
    sla.status_changed(ticket, old, new_status, now)
    if new_status == "solved":
        enqueue("support.ticket_solved", ticket.id)
    return True


def add_message(ticket, actor, body, public=True, via="web", now=None, notify=True):
    """A reply or an internal note. A customer's reply on a solved ticket reopens it."""
    now = now or utcnow()
    body = _clean_text(body, "body", "The message", rules.BODY_MAX, required=True)
    is_staff = actor is not None and actor.is_staff
    if not public and not is_staff:
        raise DomainError("Only staff can write internal notes.", field="public")
    if ticket.status == "closed":
        raise DomainError("This ticket is closed; write a new request instead.", field="status")
    message = Message(ticket=ticket, author=actor, body=body, public=bool(public), via=via, created_at=now)
    db.session.add(message)
    ticket.updated_at = now
    if public and not is_staff and ticket.status == "solved":
        change_status(ticket, actor, "open", now=now)
    elif public and is_staff and ticket.status == "new":
        change_status(ticket, actor, "open", now=now)
    elif public and not is_staff and ticket.status == "pending":
        change_status(ticket, actor, "open", now=now)
    db.session.flush()
    record_event(ticket, actor, "message", data={"message_id": message.id, "public": bool(public)}, now=now)
    sla.message_added(ticket, message, now)
    if notify and public and is_staff:
        enqueue("support.agent_replied", message.id)
    return message


def set_tags(ticket, actor, names, now=None):
    now = now or utcnow()
    clean = []
    for raw in names:
        tag = rules.normalize_tag(raw)
        if not tag:
            continue
        if len(tag) > rules.TAG_MAX:
            raise DomainError(f"The tag {raw!r} is too long (at most {rules.TAG_MAX} characters).", field="tags")
        if tag not in clean:
            clean.append(tag)
    old = ticket.tag_names
    if sorted(old) == sorted(clean):
        return False
    existing = {t.name: t for t in db.session.scalars(select(Tag).where(Tag.name.in_(clean)))} if clean else {}
    tags = []
    for name in clean:
        tag = existing.get(name)
        if tag is None:
            tag = Tag(name=name)
            db.session.add(tag)
        tags.append(tag)
    ticket.tags = tags
    ticket.updated_at = now
    record_event(ticket, actor, "tags", "tags", ",".join(sorted(old)), ",".join(sorted(clean)), now=now)
    sla.fields_changed(ticket, now)
    return True


def assign_ticket(ticket, actor, assignee, now=None):
    now = now or utcnow()
    if assignee is not None and assignee.role not in ("agent", "admin"):
        raise DomainError(f"{assignee.email} is not an agent.", field="assignee")
    if assignee is not None and not assignee.active:
        raise DomainError(f"{assignee.email} is deactivated.", field="assignee")
    if ticket.assignee_id == (assignee.id if assignee else None):
        return False
    old = ticket.assignee.email if ticket.assignee else None
    ticket.assignee = assignee
    ticket.updated_at = now
    record_event(ticket, actor, "assignee", "assignee", old, assignee.email if assignee else None, now=now)
    return True


def set_group(ticket, actor, group, now=None):
    now = now or utcnow()
    if ticket.group_id == (group.id if group else None):
        return False
    old = ticket.group.name if ticket.group else None
    ticket.group = group
    ticket.updated_at = now
    record_event(ticket, actor, "group", "group", old, group.name if group else None, now=now)
    sla.fields_changed(ticket, now)
    return True


def set_priority(ticket, actor, priority, now=None):
    now = now or utcnow()
    value = parse_priority(priority)
    if value == ticket.priority:
        return False
    old = ticket.priority_name
    ticket.priority = value
    ticket.updated_at = now
    record_event(ticket, actor, "priority", "priority", old, ticket.priority_name, now=now)
    sla.fields_changed(ticket, now)
    return True


def user_by_email(email, field="assignee"):
    email = (email or "").strip().lower()
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None:
        raise DomainError(f"No user has the e-mail address {email!r}.", field=field)
    return user


def group_by_name(name):
    group = db.session.scalar(select(Group).where(func.lower(Group.name) == name.strip().lower()))
    if group is None:
        raise DomainError(f"No group is called {name!r}.", field="group")
    return group


def update_ticket(ticket, actor, changes, expected_version=None, now=None):
    """Apply several field changes at once (status, priority, assignee_email, group, tags)."""
    now = now or utcnow()
    check_version(ticket, expected_version)
    changed = False
    if "priority" in changes and changes["priority"] is not None:
        changed |= set_priority(ticket, actor, changes["priority"], now=now)
    if "assignee_email" in changes:
        email = changes["assignee_email"]
        changed |= assign_ticket(ticket, actor, user_by_email(email) if email else None, now=now)
    if "group" in changes:
        name = changes["group"]
        changed |= set_group(ticket, actor, group_by_name(name) if name else None, now=now)
    if "tags" in changes and changes["tags"] is not None:
        changed |= set_tags(ticket, actor, changes["tags"], now=now)
    if "status" in changes and changes["status"] is not None:
        changed |= change_status(ticket, actor, changes["status"], now=now)
    if changed:
        db.session.flush()
    return changed
