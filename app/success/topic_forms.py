"""Forms of the topic and product-feedback pages: validation and coercion only."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectChoice, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

MAX_ID = 2**31 - 1


def choices(pairs):
    return [SelectChoice(value, label) for value, label in pairs]


def type_choices():
    return choices([("bug", _l("Bug")), ("feature_request", _l("Feature request")), ("usability", _l("Usability")),
            ("docs_gap", _l("Documentation gap"))])


def status_choices():
    return choices([("new", _l("New")), ("planned", _l("Planned")), ("in_progress", _l("In progress")),
            ("shipped", _l("Shipped")), ("declined", _l("Declined"))])


def importance_choices():
    return choices([("low", _l("Low")), ("medium", _l("Medium")), ("high", _l("High")), ("critical", _l("Critical"))])


class ConfirmForm(FlaskForm):
    """Buttons that only need the CSRF token (dismiss, restore, notify, mine now)."""


class RenameForm(FlaskForm):
    label = StringField(_l("Name"), validators=[DataRequired(_l("Give the topic a name.")), Length(max=200)])


class MergeForm(FlaskForm):
    target_id = SelectField(_l("Merge into"), coerce=int, validate_choice=True,
                            validators=[DataRequired(_l("Pick the topic to merge into."))])


class SplitForm(FlaskForm):
    # Membership is checked by the service (the tickets must be in the topic).
    ticket_ids = SelectMultipleField(_l("Tickets for the new topic"), coerce=int, validate_choice=False,
                                     validators=[DataRequired(_l("Pick the tickets that belong to the new topic."))])
    label = StringField(_l("Name of the new topic"), validators=[Optional(), Length(max=200)])


class KbLinkForm(FlaskForm):
    article_id = IntegerField(_l("Article number"), validators=[Optional(), NumberRange(min=1, max=MAX_ID)])


class FeedbackForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(_l("Give the item a title.")), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=20_000)])
    type = SelectField(_l("Type"), choices=type_choices, default="bug")
    importance = SelectField(_l("Importance"), choices=importance_choices, default="medium")
    topic_id = IntegerField(validators=[Optional(), NumberRange(min=1, max=MAX_ID)])


class StatusForm(FlaskForm):
    status = SelectField(_l("New status"), choices=status_choices)
    note = StringField(_l("Note"), validators=[Optional(), Length(max=500)])


class LinkForm(FlaskForm):
    kind = SelectField(_l("Link a"), choices=choices([("ticket", _l("Ticket")), ("topic", _l("Topic")),
                                                      ("organization", _l("Account"))]))
    target_id = IntegerField(_l("Number"), validators=[DataRequired(_l("Give the number to link.")),
                                                       NumberRange(min=1, max=MAX_ID)])


class UnlinkForm(FlaskForm):
    kind = SelectField(choices=choices([("ticket", "ticket"), ("topic", "topic"), ("organization", "organization")]))
    target_id = IntegerField(validators=[DataRequired(), NumberRange(min=1, max=MAX_ID)])


class VoteForm(FlaskForm):
    organization_id = SelectField(_l("On behalf of"), coerce=int,
                                  validators=[DataRequired(_l("Pick the account you vote for."))])


class TopicFilterForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField(_l("Search"), validators=[Optional(), Length(max=100)])
    status = SelectField(_l("Status"), choices=choices([("active", _l("Active")), ("dismissed", _l("Dismissed")),
                                                        ("all", _l("All"))]), default="active")
    trend = SelectField(_l("Trend"), choices=choices([("", _l("Any")), ("new", _l("New")), ("rising", _l("Rising")),
                                                      ("steady", _l("Steady")), ("falling", _l("Falling"))]), default="")
    sort = SelectField(_l("Sort by"), choices=choices([("trend", _l("Trend")), ("size", _l("Size")),
                                                       ("mrr", _l("MRR affected")), ("recent", _l("Latest ticket"))]),
                       default="trend")


class FeedbackFilterForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField(_l("Search"), validators=[Optional(), Length(max=100)])
    status = SelectField(_l("Status"), choices=lambda: [SelectChoice("", _l("Any")), *status_choices()], default="")
    type = SelectField(_l("Type"), choices=lambda: [SelectChoice("", _l("Any")), *type_choices()], default="")
    sort = SelectField(_l("Sort by"), choices=choices([("mrr", _l("MRR affected")), ("tickets", _l("Tickets")),
                                                       ("organizations", _l("Accounts")), ("votes", _l("Votes")),
                                                       ("updated", _l("Recently changed")), ("newest", _l("Newest"))]),
                       default="mrr")
