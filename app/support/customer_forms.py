"""Forms of the customer side (request form with files, portal reply, CSAT) and the CSAT report filter.

Files are only collected here; app/support/attachments.py decides whether they are acceptable.
"""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, MultipleFileField, RadioField, SelectChoice, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from app.support.forms import CustomerReplyForm, NewTicketForm

COMMENT_MAX = 2000
RATING_LABELS = {"good": _l("Good, I'm satisfied"), "bad": _l("Bad, I'm unsatisfied")}


class RequestForm(NewTicketForm):
    """The public request form with its attachments."""

    attachments = MultipleFileField(_l("Attachments"), description=_l(
        "Optional. Images, PDF, text, CSV, ZIP or office documents."))


class PortalReplyForm(CustomerReplyForm):
    attachments = MultipleFileField(_l("Attach files"))


class RequesterSolvedForm(FlaskForm):
    """The "This is solved" button: nothing but the CSRF token."""


class CsatCommentForm(FlaskForm):
    rating = RadioField(_l("How would you rate the support you received?"),
                        choices=[SelectChoice(k, v) for k, v in RATING_LABELS.items()],
                        validators=[DataRequired(_l("Choose good or bad."))])
    comment = TextAreaField(_l("Anything you would like to tell us? (optional)"),
                            validators=[Optional(), Length(max=COMMENT_MAX)])


class CsatReportFilterForm(FlaskForm):
    class Meta:
        csrf = False

    start = DateField(_l("From"), validators=[Optional()])
    end = DateField(_l("To"), validators=[Optional()])

    def validate_end(self, field):
        if field.data and self.start.data and field.data < self.start.data:
            raise ValidationError(_l("The end of the period comes before its start."))
