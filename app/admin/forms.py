"""Admin forms: validation and coercion only; the rules live in admin/services.py."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField, DateField, DecimalField, EmailField, PasswordField, SelectChoice, SelectField, StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from app.i18n import ROLE_LABELS, STAGE_LABELS
from app.models import ROLES
from app.models.organization import STAGES


def _optional_int(value):
    """Select values: '' means none."""
    if value in (None, "", "None"):
        return None
    return int(value)


class UserFilterForm(FlaskForm):
    """The user list's search box (GET, so no CSRF token)."""

    class Meta:
        csrf = False

    q = StringField(_l("Search"), validators=[Optional(), Length(max=254)])
    role = SelectField(
        _l("Role"), validators=[Optional()],
        choices=[SelectChoice("", _l("All roles"))] + [SelectChoice(r, ROLE_LABELS[r]) for r in ROLES],
    )


class CreateUserForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(_l("Enter an e-mail address.")), Length(max=254)])
    name = StringField(_l("Name"), validators=[Optional(), Length(max=200)])
    role = SelectField(_l("Role"), choices=[SelectChoice(r, ROLE_LABELS[r]) for r in ROLES], default="agent")
    organization_id = SelectField(_l("Organization"), coerce=_optional_int, choices=[], validate_choice=True)
    password = PasswordField(
        _l("Password"), validators=[Optional(), Length(max=1024)],
        description=_l("Leave empty to e-mail the person a link to set their own password."),
    )


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=[SelectChoice(r, ROLE_LABELS[r]) for r in ROLES])


class GroupForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(_l("Enter a name.")), Length(max=100)])
    description = StringField(_l("Description"), validators=[Optional(), Length(max=500)])


class GroupMemberForm(FlaskForm):
    user_id = SelectField(_l("Agent"), coerce=_optional_int, choices=[],
                          validators=[DataRequired(_l("Choose an agent."))])


class OrganizationForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(_l("Enter a name.")), Length(max=200)])
    domains = TextAreaField(
        _l("E-mail domains"), validators=[Optional(), Length(max=5000)],
        description=_l("One per line or separated by commas; people writing from these domains join the organization."),
    )
    plan = StringField(_l("Plan"), validators=[Optional(), Length(max=50)])
    mrr = DecimalField(_l("Monthly recurring revenue"), places=2, default=0,
                       validators=[Optional(), NumberRange(min=0, max=9_999_999_999.99,
                                                           message=_l("Enter an amount from 0 to 9,999,999,999.99."))])
    stage = SelectField(_l("Lifecycle stage"), default="onboarding",
                        choices=[SelectChoice(s, STAGE_LABELS[s]) for s in STAGES])
    renewal_date = DateField(_l("Renewal date"), validators=[Optional()])
    owner_id = SelectField(_l("Owner (CSM)"), coerce=_optional_int, choices=[])
    segment_tags = StringField(_l("Segment tags"), validators=[Optional(), Length(max=1000)],
                               description=_l("Separated by commas, e.g. enterprise, emea."))
    shared_tickets = BooleanField(_l("Members see each other's tickets in the portal"))
