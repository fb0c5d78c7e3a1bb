"""Macros: canned replies with placeholders that may also change the ticket's fields.

Placeholders are a small, explicit syntax — `{{ requester.first_name }}`, `{{ ticket.number }}` —
looked up in PLACEHOLDERS and substituted as plain text. Nothing in a macro body is ever evaluated,
so an admin's typo cannot run code or read attributes that are not listed here.
"""

import re
from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.core.errors import DomainError, NotFound
from app.extensions import db
from app.models import Macro, User
from app.models.base import utcnow
from app.support import rules
from app.support.services import (
    add_message, assign_ticket, change_status, check_version, group_by_name, record_event, set_group, set_priority,
    set_tags,
)

PLACEHOLDER = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
NAME_MAX = 100
ACTION_KEYS = ("status", "priority", "add_tags", "group", "assignee")


def _requester(ctx):
    return ctx["ticket"].requester


def _org(ctx):
    return ctx["ticket"].organization


# Every placeholder a macro may use: its description for admins and how to fill it in.
PLACEHOLDERS = {
    "requester.name": (_l("The requester's name"), lambda c: _requester(c).display_name if _requester(c) else ""),
    "requester.first_name": (_l("The requester's first name"),
                             lambda c: _requester(c).first_name if _requester(c) else ""),
    "requester.email": (_l("The requester's e-mail address"), lambda c: _requester(c).email if _requester(c) else ""),
    "ticket.number": (_l("The ticket's number"), lambda c: str(c["ticket"].number)),
    "ticket.subject": (_l("The ticket's subject"), lambda c: c["ticket"].subject),
    "ticket.status": (_l("The ticket's status"), lambda c: c["ticket"].status),
    "ticket.priority": (_l("The ticket's priority"), lambda c: c["ticket"].priority_name),
    "organization.name": (_l("The requester's organization"), lambda c: _org(c).name if _org(c) else ""),
    "group.name": (_l("The ticket's group"), lambda c: c["ticket"].group.name if c["ticket"].group else ""),
    "agent.name": (_l("Your name (the agent applying the macro)"), lambda c: c["agent"].display_name),
    "agent.first_name": (_l("Your first name"), lambda c: c["agent"].first_name),
    "agent.email": (_l("Your e-mail address"), lambda c: c["agent"].email),
}


def unknown_placeholders(body):
    return [name for name in dict.fromkeys(PLACEHOLDER.findall(body or "")) if name not in PLACEHOLDERS]


def render_body(body, ticket, agent):
    """The macro text with every placeholder filled in (unknown ones are left as written)."""
    context = {"ticket": ticket, "agent": agent}

    def fill(match):
        entry = PLACEHOLDERS.get(match.group(1))
        return entry[1](context) if entry else match.group(0)

    return PLACEHOLDER.sub(fill, body or "")


# --- validation ------------------------------------------------------------------------------------

def clean_actions(actions):
    """Macro actions as stored: only known keys, valid values; DomainError names the bad one."""
    if actions is None:
        return {}
    if not isinstance(actions, dict):
        raise DomainError(_("Macro actions must be a set of field changes."), field="actions")
    unknown = [key for key in actions if key not in ACTION_KEYS]
    if unknown:
        raise DomainError(_("Unknown macro action %(name)s.", name=", ".join(map(str, unknown))), field="actions")
    out = {}
    status = actions.get("status")
    if status:
        if status not in rules.STATUSES or status == "new":
            raise DomainError(_("Unknown status %(value)s; use one of: %(choices)s.", value=status,
                                choices=", ".join(s for s in rules.STATUSES if s != "new")), field="status")
        out["status"] = status
    priority = actions.get("priority")
    if priority:
        if priority not in rules.PRIORITIES:
            raise DomainError(_("Unknown priority %(value)s; use one of: %(choices)s.", value=priority,
                                choices=", ".join(rules.PRIORITIES)), field="priority")
        out["priority"] = priority
    tags = actions.get("add_tags") or []
    if isinstance(tags, str):
        tags = tags.replace(",", " ").split()
    clean = []
    for raw in tags:
        tag = rules.normalize_tag(raw)
        if len(tag) > rules.TAG_MAX:
            raise DomainError(_("The tag %(tag)s is too long (at most %(n)d characters).", tag=raw, n=rules.TAG_MAX),
                              field="add_tags")
        if tag and tag not in clean:
            clean.append(tag)
    if clean:
        out["add_tags"] = clean
    group = actions.get("group")
    if group:
        out["group"] = group_by_name(group).name
    assignee = actions.get("assignee")
    if assignee:
        if assignee not in ("me", "none"):
            user = db.session.scalar(select(User).where(User.email == str(assignee).strip().lower()))
            if user is None or user.role not in ("agent", "admin"):
                raise DomainError(_("%(value)s is not an agent; use an agent's e-mail, “me” or “none”.",
                                    value=assignee), field="assignee")
            assignee = user.email
        out["assignee"] = assignee
    return out


def _clean_name(name):
    name = " ".join((name or "").split())
    if not name:
        raise DomainError(_("Give the macro a name."), field="name")
    if len(name) > NAME_MAX:
        raise DomainError(_("The name is too long (at most %(n)d characters).", n=NAME_MAX), field="name")
    return name


def _clean_body(body, actions):
    body = (body or "").strip()
    if len(body) > rules.BODY_MAX:
        raise DomainError(_("The text is too long (at most %(n)d characters).", n=rules.BODY_MAX), field="body")
    unknown = unknown_placeholders(body)
    if unknown:
        raise DomainError(_("Unknown placeholder %(names)s; use one of: %(known)s.",
                            names=", ".join("{{ %s }}" % name for name in unknown),
                            known=", ".join(PLACEHOLDERS)), field="body")
    if not body and not actions:
        raise DomainError(_("A macro needs a text, a field change, or both."), field="body")
    return body


# --- admin use cases --------------------------------------------------------------------------------

def save_macro(actor, macro=None, *, name, body, public=True, actions=None, active=True, now=None):
    """Create a macro (macro=None) or change one; DomainError leaves it untouched."""
    now = now or utcnow()
    name = _clean_name(name)
    actions = clean_actions(actions)
    body = _clean_body(body, actions)
    clash = db.session.scalar(select(Macro.id).where(
        func.lower(Macro.name) == name.lower(), Macro.id != (macro.id if macro else 0)))
    if clash is not None:
        raise DomainError(_("A macro called “%(name)s” exists already.", name=name), field="name")
    if macro is None:
        macro = Macro(created_by_id=actor.id if actor else None, created_at=now)
        db.session.add(macro)
    macro.name, macro.body, macro.public, macro.actions = name, body, bool(public), actions
    macro.active, macro.updated_at = bool(active), now
    db.session.flush()
    return macro


def delete_macro(actor, macro):
    db.session.delete(macro)
    db.session.flush()


def active_macros():
    return db.session.scalars(select(Macro).where(Macro.active.is_(True)).order_by(func.lower(Macro.name))).all()


def get_macro(macro_id, active_only=True):
    macro = db.session.get(Macro, macro_id) if macro_id else None
    if macro is None or (active_only and not macro.active):
        raise NotFound(_("That macro does not exist (any more)."))
    return macro


# --- preview and apply ---------------------------------------------------------------------------

@dataclass
class Change:
    field: str
    old: str | None
    new: str | None


@dataclass
class MacroPreview:
    macro: Macro
    body: str
    public: bool
    changes: list = field(default_factory=list)
    problems: list = field(default_factory=list)  # changes that will not apply, and why


def _assignee_for(value, agent):
    if value == "me":
        return agent
    if value == "none":
        return None
    return db.session.scalar(select(User).where(User.email == value))


def preview_macro(macro, ticket, agent):
    """What applying `macro` to `ticket` would do, without changing anything."""
    actions = macro.actions or {}
    changes, problems = [], []
    status = actions.get("status")
    # A public agent reply moves a new ticket to open before any status action applies.
    current = "open" if macro.public and macro.body and ticket.status == "new" else ticket.status
    if status and status != ticket.status:
        if status == current or rules.can_transition(current, status):
            changes.append(Change("status", ticket.status, status))
        else:
            problems.append(_("A %(old)s ticket cannot become %(new)s.", old=current, new=status))
    if actions.get("priority") and actions["priority"] != ticket.priority_name:
        changes.append(Change("priority", ticket.priority_name, actions["priority"]))
    added = [t for t in actions.get("add_tags", []) if t not in ticket.tag_names]
    if added:
        changes.append(Change("tags", ", ".join(ticket.tag_names), ", ".join(ticket.tag_names + added)))
    group = actions.get("group")
    if group and (ticket.group is None or ticket.group.name != group):
        changes.append(Change("group", ticket.group.name if ticket.group else None, group))
    if "assignee" in actions:
        user = _assignee_for(actions["assignee"], agent)
        if actions["assignee"] not in ("me", "none") and (user is None or not user.active):
            problems.append(_("%(email)s can no longer be assigned.", email=actions["assignee"]))
        elif (user.id if user else None) != ticket.assignee_id:
            changes.append(Change("assignee", ticket.assignee.email if ticket.assignee else None,
                                  user.email if user else None))
    if ticket.status == "closed":
        problems.append(_("This ticket is closed; macros cannot change it."))
    return MacroPreview(macro=macro, body=render_body(macro.body, ticket, agent), public=macro.public,
                        changes=changes, problems=problems)


def apply_macro(macro, ticket, agent, body=None, expected_version=None, uploads=(), now=None):
    """Add the macro's reply or note (`body`: the text as the agent edited it) and apply its actions.

    All or nothing: any refusal raises DomainError and the caller rolls back. Returns the message
    (None when the macro has no text).
    """
    now = now or utcnow()
    check_version(ticket, expected_version)
    if ticket.status == "closed":
        raise DomainError(_("This ticket is closed; macros cannot change it."), field="status")
    record_event(ticket, agent, "macro", now=now, data={"macro_id": macro.id, "name": macro.name})
    text = render_body(macro.body, ticket, agent) if body is None else body
    message = None
    if (text or "").strip():
        message = add_message(ticket, agent, text, public=macro.public, via="web", now=now)
        if uploads:
            from app.support.attachments import store_attachments

            store_attachments(message, uploads, now=now)
    elif uploads:
        raise DomainError(_("Attachments need a message to go with."), field="attachments")
    actions = macro.actions or {}
    if actions.get("priority"):
        set_priority(ticket, agent, actions["priority"], now=now)
    if actions.get("add_tags"):
        set_tags(ticket, agent, ticket.tag_names + list(actions["add_tags"]), now=now)
    if actions.get("group"):
        set_group(ticket, agent, group_by_name(actions["group"]), now=now)
    if "assignee" in actions:
        assign_ticket(ticket, agent, _assignee_for(actions["assignee"], agent)
                      if actions["assignee"] in ("me", "none") else _existing_user(actions["assignee"]), now=now)
    if actions.get("status"):
        change_status(ticket, agent, actions["status"], now=now)
    db.session.flush()
    return message


def _existing_user(email):
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None:
        raise DomainError(_("%(email)s can no longer be assigned.", email=email), field="assignee")
    return user
