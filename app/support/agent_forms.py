"""Agent-side forms: validation and coercion only (the rules live in the services).

Select choices that depend on the database (agents, groups, allowed statuses) are filled in by
the view before validation.
"""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import BooleanField, HiddenField, IntegerField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from app.i18n import PRIORITY_LABELS, STATUS_LABELS
from app.support import rules
from app.support.views import NAME_MAX


def _int(value, default):
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


class ActionForm(FlaskForm):
    """A button that only needs the CSRF token (delete a view, mark as spam …)."""


class SaveViewForm(FlaskForm):
    name = StringField(_l("View name"), validators=[
        DataRequired(_l("Give the view a name.")), Length(max=NAME_MAX)])
    shared = BooleanField(_l("Share with all agents"))


class RenameViewForm(FlaskForm):
    name = StringField(_l("New name"), validators=[
        DataRequired(_l("Give the view a name.")), Length(max=NAME_MAX)])


class BulkForm(FlaskForm):
    action = SelectField(_l("Action"), choices=[
        SelectChoice("assign", _l("Assign")), SelectChoice("status", _l("Change status")),
        SelectChoice("add_tag", _l("Add tag"))], validators=[InputRequired(_l("Choose what to do."))])
    assignee = SelectField(_l("Assign to"), choices=[], validate_choice=False, validators=[Optional()])
    status = SelectField(_l("New status"), validators=[Optional()], choices=[SelectChoice("", "—")] + [
        SelectChoice(s, STATUS_LABELS[s]) for s in rules.STATUSES if s != "new"])
    tag = StringField(_l("Tag to add"), validators=[Optional(), Length(max=rules.TAG_MAX)])

    def value(self):
        return {"assign": self.assignee.data, "status": self.status.data, "add_tag": self.tag.data}.get(
            self.action.data)


class TicketFieldsForm(FlaskForm):
    """Status, priority, assignee, group and tags in one save, guarded by the ticket's version."""

    version = HiddenField(validators=[InputRequired()])
    seen_event = HiddenField()  # the newest event the agent saw: a conflict lists the ones after it
    status = SelectField(_l("Status"), choices=[])
    priority = SelectField(_l("Priority"), choices=[SelectChoice(p, PRIORITY_LABELS[p]) for p in rules.PRIORITIES])
    assignee = SelectField(_l("Assignee"), choices=[])
    group = SelectField(_l("Group"), choices=[])
    tags = StringField(_l("Tags"), validators=[Optional(), Length(max=2000)],
                       description=_l("Separated by commas or spaces."))

    def version_number(self):
        return _int(self.version.data, -1)

    def seen_event_id(self):
        return _int(self.seen_event.data, 0)


class AgentReplyForm(FlaskForm):
    body = TextAreaField(_l("Message"), validators=[
        DataRequired(_l("Write a message first.")), Length(max=rules.BODY_MAX)])
    internal = BooleanField(_l("Internal note (never shown to the customer)"))
    attachments = MultipleFileField(_l("Attachments"))


class MacroApplyForm(FlaskForm):
    macro_id = IntegerField(validators=[InputRequired()])
    version = HiddenField(validators=[InputRequired()])
    seen_event = HiddenField()
    body = TextAreaField(_l("Text to send"), validators=[Optional(), Length(max=rules.BODY_MAX)])

    def version_number(self):
        return _int(self.version.data, -1)

    def seen_event_id(self):
        return _int(self.seen_event.data, 0)


class SpamForm(FlaskForm):
    reason = StringField(_l("Reason (optional)"), validators=[Optional(), Length(max=200)])


class MacroForm(FlaskForm):
    """Admin: a macro's text and the field changes it makes."""

    name = StringField(_l("Name"), validators=[DataRequired(_l("Give the macro a name.")), Length(max=100)])
    body = TextAreaField(_l("Text"), validators=[Optional(), Length(max=rules.BODY_MAX)],
                         description=_l("Placeholders such as {{ requester.first_name }} are filled in when the "
                                        "macro is applied; the list is below."))
    public = SelectField(_l("Send as"), choices=[SelectChoice("reply", _l("Public reply")),
                                                 SelectChoice("note", _l("Internal note"))], default="reply")
    status = SelectField(_l("Set status"), choices=[SelectChoice("", _l("No change"))] + [
        SelectChoice(s, STATUS_LABELS[s]) for s in rules.STATUSES if s != "new"], validate_choice=False)
    priority = SelectField(_l("Set priority"), choices=[SelectChoice("", _l("No change"))] + [
        SelectChoice(p, PRIORITY_LABELS[p]) for p in rules.PRIORITIES], validate_choice=False)
    add_tags = StringField(_l("Add tags"), validators=[Optional(), Length(max=1000)],
                           description=_l("Separated by commas or spaces."))
    group = SelectField(_l("Set group"), choices=[], validate_choice=False)
    assignee = SelectField(_l("Assign to"), choices=[], validate_choice=False)
    active = BooleanField(_l("Agents can use it"), default=True)

    def actions(self):
        return {key: value for key, value in (
            ("status", self.status.data), ("priority", self.priority.data),
            ("add_tags", (self.add_tags.data or "").replace(",", " ").split()),
            ("group", self.group.data), ("assignee", self.assignee.data)) if value}
