"""Schemas of the accounts endpoints (contract: id, name, plan, mrr, stage, renewal_date,
owner_email, health)."""

import marshmallow as ma
from marshmallow import fields, validate

from app.api.schemas import MAX_PER_PAGE
from app.models.organization import STAGES


class HealthSchema(ma.Schema):
    score = fields.Integer(metadata={"description": "0–100"})
    band = fields.String(metadata={"enum": ["healthy", "at_risk", "critical"]})
    trend = fields.String(allow_none=True, metadata={"enum": ["up", "down", "flat", None],
                                                     "description": "Against last week; null without history."})
    reasons = fields.List(fields.String(), metadata={"description": "The measures pulling the score down most."})


class AccountSchema(ma.Schema):
    id = fields.Integer()
    name = fields.String()
    plan = fields.String(allow_none=True)
    mrr = fields.Function(lambda o: float(o.mrr or 0), metadata={"description": "Monthly recurring revenue."})
    stage = fields.String(metadata={"enum": list(STAGES)})
    renewal_date = fields.Date(allow_none=True)
    owner_email = fields.Function(lambda o: o.owner.email if o.owner else None, allow_none=True)
    health = fields.Nested(HealthSchema, allow_none=True, metadata={"description": "null until first scored."})


class AccountPageSchema(ma.Schema):
    items = fields.List(fields.Nested(AccountSchema))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()


class AccountListArgs(ma.Schema):
    stage = fields.String(validate=validate.OneOf(STAGES))
    band = fields.String(validate=validate.OneOf(("healthy", "at_risk", "critical")))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    per_page = fields.Integer(load_default=25, validate=validate.Range(min=1, max=MAX_PER_PAGE))


class UsageFigureSchema(ma.Schema):
    metric = fields.String(required=True, validate=validate.Length(min=1, max=64))
    value = fields.Float(required=True, validate=validate.Range(min=0, max=1e12))
    date = fields.Date(required=True)


class UsageUploadSchema(ma.Schema):
    figures = fields.List(fields.Nested(UsageFigureSchema), required=True, validate=validate.Length(min=1, max=10_000))


class UsageResultSchema(ma.Schema):
    imported = fields.Integer()
    health = fields.Nested(HealthSchema, allow_none=True)
