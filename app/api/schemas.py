"""Request and response schemas: they validate input and generate the OpenAPI document.

Type errors in query parameters (page=abc) are "malformed" (400); everything a validator rejects
(unknown enum value, out of range, too long) is "invalid" (422). `app.api.errors` tells the two
apart by that split: `_deserialize` checks shape, `validate=` checks values.
"""

from datetime import timezone

import marshmallow as ma
from marshmallow import fields, validate

from app.core.locales import normalize_locale
from app.support import rules

MAX_PER_PAGE = 100
QUERY_MAX = 1000
SORTS = ("created_at", "-created_at", "updated_at", "-updated_at", "priority", "-priority", "due_at")


class UTCDateTime(fields.DateTime):
    """ISO 8601 in UTC to the second: 2026-11-20T09:12:00+00:00."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        return value.astimezone(timezone.utc).replace(microsecond=0).isoformat()


class CommaSeparated(fields.String):
    """`a,b,c` → ["a", "b", "c"]; each item must be one of `choices`."""

    def __init__(self, choices, **kwargs):
        self.choices = tuple(choices)
        super().__init__(
            validate=self._check_choices,
            metadata={"description": f"Comma-separated; any of: {', '.join(self.choices)}.",
                      **kwargs.pop("metadata", {})},
            **kwargs,
        )

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        return [item.strip() for item in text.split(",") if item.strip()]

    def _check_choices(self, items):
        unknown = [item for item in items if item not in self.choices]
        if unknown:
            raise ma.ValidationError(
                f"Unknown value {unknown[0]!r}; use one of: {', '.join(self.choices)}."
            )


def _locale(value):
    if normalize_locale(value) is None:
        raise ma.ValidationError("Not a language code such as en, ru or zh-Hant.")


# --- errors ------------------------------------------------------------------------------------

class ErrorDetailSchema(ma.Schema):
    code = fields.String(required=True, metadata={"example": "validation_error"})
    message = fields.String(required=True, metadata={"example": "subject: Longer than maximum length 250."})


class ErrorSchema(ma.Schema):
    """Every error under /api/v1/."""

    error = fields.Nested(ErrorDetailSchema, required=True)


# --- tickets -------------------------------------------------------------------------------------

class SlaTargetSchema(ma.Schema):
    metric = fields.String(validate=validate.OneOf(("first_reply", "next_reply", "resolution", "periodic_update")))
    due_at = UTCDateTime(allow_none=True)
    achieved_at = UTCDateTime(allow_none=True)
    breached = fields.Boolean()
    paused = fields.Boolean()


class MessageSchema(ma.Schema):
    id = fields.Integer()
    author_email = fields.Function(lambda m: m.author.email if m.author else None, allow_none=True)
    body = fields.String()
    public = fields.Boolean(metadata={"description": "false: an internal note (never shown to customers)."})
    created_at = UTCDateTime()


def sla_targets(ticket):
    """The metrics of the SLA policy that applies to `ticket` ([] when none applies)."""
    from app.support.sla.services import sla_json

    return sla_json(ticket)


class TicketSchema(ma.Schema):
    id = fields.Integer()
    number = fields.Integer()
    subject = fields.String()
    status = fields.String(metadata={"enum": list(rules.STATUSES)})
    priority = fields.String(attribute="priority_name", metadata={"enum": list(rules.PRIORITIES)})
    channel = fields.String(metadata={"enum": list(rules.CHANNELS)})
    language = fields.String(allow_none=True)
    requester_email = fields.Function(lambda t: t.requester.email if t.requester else None, allow_none=True)
    organization = fields.Function(lambda t: t.organization.name if t.organization else None, allow_none=True)
    assignee_email = fields.Function(lambda t: t.assignee.email if t.assignee else None, allow_none=True)
    group = fields.Function(lambda t: t.group.name if t.group else None, allow_none=True)
    tags = fields.List(fields.String(), attribute="tag_names")
    topic_id = fields.Integer(allow_none=True)
    created_at = UTCDateTime()
    updated_at = UTCDateTime()
    sla = fields.List(fields.Nested(SlaTargetSchema), metadata={
        "description": "The metrics of the SLA policy that applies; empty when none applies."})

    def get_attribute(self, obj, attr, default):
        if attr == "sla":
            return sla_targets(obj)
        return super().get_attribute(obj, attr, default)


class TicketDetailSchema(TicketSchema):
    messages = fields.List(fields.Nested(MessageSchema), metadata={
        "description": "Oldest first; customers get public replies only."})


class TicketPageSchema(ma.Schema):
    items = fields.List(fields.Nested(TicketSchema))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()


class TicketListArgs(ma.Schema):
    status = CommaSeparated(rules.STATUSES)
    priority = CommaSeparated(tuple(rules.PRIORITIES))
    assignee = fields.String(
        validate=validate.Length(max=254),
        metadata={"description": "An agent's e-mail address, `me` or `none`."},
    )
    organization = fields.String(validate=validate.Length(max=200), metadata={"description": "Its name."})
    q = fields.String(
        validate=validate.Length(max=QUERY_MAX),
        metadata={"description": "Full text over subject and messages (customers: public messages only)."},
    )
    sort = fields.String(
        load_default="-created_at", validate=validate.OneOf(SORTS),
        metadata={"description": "A leading `-` means descending; default newest first."},
    )
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    per_page = fields.Integer(load_default=25, validate=validate.Range(min=1, max=MAX_PER_PAGE))

    @ma.validates("assignee")
    def _assignee(self, value, **kwargs):
        if value not in ("me", "none"):
            fields.Email().deserialize(value)


class TicketCreateSchema(ma.Schema):
    subject = fields.String(required=True, validate=validate.Length(max=rules.SUBJECT_MAX))
    body = fields.String(required=True, validate=validate.Length(min=1, max=rules.BODY_MAX))
    requester_email = fields.Email(
        validate=validate.Length(max=254),
        metadata={"description": "Required for staff; customers may only give their own (or leave it out)."},
    )
    priority = fields.String(validate=validate.OneOf(tuple(rules.PRIORITIES)))
    organization = fields.String(validate=validate.Length(max=200), metadata={"description": "Its name."})
    language = fields.String(validate=[validate.Length(max=16), _locale], metadata={"description": "BCP 47, e.g. en."})


class MessageCreateSchema(ma.Schema):
    body = fields.String(required=True, validate=validate.Length(min=1, max=rules.BODY_MAX))
    public = fields.Boolean(
        required=True,
        metadata={"description": "true: a reply the requester sees; false: an internal note (staff only)."},
    )


class TicketUpdateSchema(ma.Schema):
    status = fields.String(validate=validate.OneOf(rules.STATUSES))
    priority = fields.String(validate=validate.OneOf(tuple(rules.PRIORITIES)))
    assignee_email = fields.Email(allow_none=True, validate=validate.Length(max=254),
                                  metadata={"description": "null unassigns."})
    group = fields.String(allow_none=True, validate=validate.Length(max=100), metadata={"description": "null clears."})
    tags = fields.List(fields.String(validate=validate.Length(max=rules.TAG_MAX)),
                       validate=validate.Length(max=100), metadata={"description": "Replaces the list."})


# --- knowledge base ----------------------------------------------------------------------------

class KbSearchArgs(ma.Schema):
    q = fields.String(load_default="", metadata={"description": f"Cut at {QUERY_MAX} characters."})
    locale = fields.String(validate=[validate.Length(max=35), _locale],
                           metadata={"description": "The searcher's language: ranked first, never exclusive."})
    limit = fields.Integer(load_default=10, validate=validate.Range(min=1, max=MAX_PER_PAGE))


class KbResultSchema(ma.Schema):
    id = fields.Integer()
    title = fields.String()
    url = fields.String()
    locale = fields.String()
    score = fields.Float()


class KbSearchSchema(ma.Schema):
    results = fields.List(fields.Nested(KbResultSchema), metadata={"description": "Best first."})
