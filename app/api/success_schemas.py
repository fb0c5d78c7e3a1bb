"""Schemas of the topic and product-feedback endpoints (staff only)."""

import marshmallow as ma
from marshmallow import fields, validate

from app.api.schemas import MAX_PER_PAGE
from app.models.success import FEEDBACK_STATUSES, FEEDBACK_TYPES, TRENDS

TOPIC_SORTS = ("-created_at", "created_at", "-size", "size", "-updated_at")
FEEDBACK_SORTS = ("-created_at", "created_at", "-updated_at", "-mrr_affected", "-ticket_count", "-votes")


class PageArgs(ma.Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    per_page = fields.Integer(load_default=25, validate=validate.Range(min=1, max=MAX_PER_PAGE))


class TopicListArgs(PageArgs):
    status = fields.String(load_default="active", validate=validate.OneOf(("active", "dismissed")),
                           metadata={"description": "Live topics (`active`, default) or dismissed ones."})
    trend = fields.String(validate=validate.OneOf(TRENDS))
    sort = fields.String(load_default="-created_at", validate=validate.OneOf(TOPIC_SORTS),
                         metadata={"description": "A leading `-` means descending; default newest first."})


class TopicOrganizationSchema(ma.Schema):
    id = fields.Integer()
    name = fields.String()
    mrr = fields.Float()


class TopicSchema(ma.Schema):
    id = fields.Integer()
    label = fields.String()
    terms = fields.List(fields.String())
    size = fields.Integer()
    trend = fields.String(metadata={"enum": list(TRENDS)})
    ticket_ids = fields.List(fields.Integer())
    organizations = fields.List(fields.Nested(TopicOrganizationSchema),
                                metadata={"description": "Affected accounts, highest MRR first."})


class TopicPageSchema(ma.Schema):
    items = fields.List(fields.Nested(TopicSchema))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()


class FeedbackListArgs(PageArgs):
    status = fields.String(validate=validate.OneOf(FEEDBACK_STATUSES))
    type = fields.String(validate=validate.OneOf(FEEDBACK_TYPES))
    topic_id = fields.Integer(validate=validate.Range(min=1, max=2**31 - 1))
    sort = fields.String(load_default="-created_at", validate=validate.OneOf(FEEDBACK_SORTS),
                         metadata={"description": "Default newest first."})


class FeedbackSchema(ma.Schema):
    id = fields.Integer()
    title = fields.String()
    type = fields.String(metadata={"enum": list(FEEDBACK_TYPES)})
    status = fields.String(metadata={"enum": list(FEEDBACK_STATUSES)})
    topic_ids = fields.List(fields.Integer())
    ticket_count = fields.Integer(metadata={"description": "Unique tickets: linked ones and those of linked topics."})
    organization_count = fields.Integer(metadata={"description": "Unique accounts; each counts once."})
    mrr_affected = fields.Float(metadata={"description": "Sum of the MRR of those accounts."})
    votes = fields.Integer()


class FeedbackPageSchema(ma.Schema):
    items = fields.List(fields.Nested(FeedbackSchema))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()
