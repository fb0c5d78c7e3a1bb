"""Support forms: validation and coercion only. Customer and staff forms are different classes."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from app.support import rules


class NewTicketForm(FlaskForm):
    """The public 'submit a request' form (no account needed)."""

    name = StringField(_l("Your name"), validators=[Optional(), Length(max=200)])
    email = EmailField(_l("Your e-mail address"), validators=[
        DataRequired(_l("Enter your e-mail address so we can answer you.")), Length(max=254)])
    subject = StringField(_l("Subject"), validators=[Optional(), Length(max=rules.SUBJECT_MAX)])
    body = TextAreaField(_l("How can we help?"), validators=[
        DataRequired(_l("Describe your question or problem.")), Length(max=rules.BODY_MAX)])
    # Hidden from people; bots that fill every field give themselves away.
    website = StringField(_l("Leave this field empty"), validators=[Optional()])


class CustomerReplyForm(FlaskForm):
    body = TextAreaField(_l("Your reply"), validators=[
        DataRequired(_l("Write a reply first.")), Length(max=rules.BODY_MAX)])
