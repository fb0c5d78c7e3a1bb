"""Forms of the account, segment, usage and NPS pages: validation and coercion only."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import RadioField, SelectChoice, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from app.i18n import STAGE_LABELS
from app.models.organization import STAGES
from app.success.health.scoring import BANDS

BAND_CHOICES = (("healthy", _l("Healthy")), ("at_risk", _l("At risk")), ("critical", _l("Critical")))


class Checkboxes(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class AccountFilterForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField(_l("Name"), validators=[Optional(), Length(max=200)])
    plan = StringField(_l("Plan"), validators=[Optional(), Length(max=50)])
    stage = SelectField(_l("Stage"), validators=[Optional()],
                        choices=[SelectChoice("", _l("All stages"))] + [SelectChoice(s, STAGE_LABELS[s]) for s in STAGES])
    band = SelectField(_l("Health"), validators=[Optional()],
                       choices=[SelectChoice("", _l("All bands"))] + [SelectChoice(b, label) for b, label in BAND_CHOICES])
    tag = StringField(_l("Segment tag"), validators=[Optional(), Length(max=64)])
    owner = SelectField(_l("Owner"), validators=[Optional()], choices=[SelectChoice("", _l("Anyone")),
                                                                       SelectChoice("me", _l("Mine"))])


class NoteForm(FlaskForm):
    body = TextAreaField(_l("Note"), validators=[DataRequired(_l("Write a note.")), Length(max=5000)])


class SegmentForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(_l("Enter a name.")), Length(max=100)])
    plans = StringField(_l("Plans"), validators=[Optional(), Length(max=500)],
                        description=_l("Separated by commas, e.g. growth, enterprise."))
    mrr_min = StringField(_l("MRR from"), validators=[Optional(), Length(max=20)])
    mrr_max = StringField(_l("MRR up to"), validators=[Optional(), Length(max=20)])
    stages = Checkboxes(_l("Lifecycle stages"), choices=[SelectChoice(s, STAGE_LABELS[s]) for s in STAGES], validate_choice=False)
    bands = Checkboxes(_l("Health bands"), choices=[SelectChoice(b, label) for b, label in BAND_CHOICES], validate_choice=False)
    tags = StringField(_l("Segment tags (any of)"), validators=[Optional(), Length(max=500)])
    min_topic_exposure = StringField(_l("Hit by at least this many recurring topics"),
                                     validators=[Optional(), Length(max=5)])
    renewal_within_days = StringField(_l("Renewal within (days)"), validators=[Optional(), Length(max=5)])

    def filters(self):
        return {"plans": self.plans.data, "mrr_min": self.mrr_min.data, "mrr_max": self.mrr_max.data,
                "stages": self.stages.data or [], "bands": self.bands.data or [], "tags": self.tags.data,
                "min_topic_exposure": self.min_topic_exposure.data,
                "renewal_within_days": self.renewal_within_days.data}


class UsageUploadForm(FlaskForm):
    file = FileField(_l("CSV file"), description=_l("Columns account,metric,value,date (e.g. Acme,logins,42,2026-11-20)."))


class ConfirmForm(FlaskForm):
    """A button that only needs the CSRF token."""


class NpsCommentForm(FlaskForm):
    score = RadioField(_l("How likely are you to recommend us to a friend or colleague?"),
                       choices=[SelectChoice(str(i), str(i)) for i in range(11)],
                       validators=[DataRequired(_l("Choose a score from 0 to 10."))])
    comment = TextAreaField(_l("What is the main reason for your score? (optional)"),
                            validators=[Optional(), Length(max=2000)])


__all__ = ["AccountFilterForm", "BANDS", "ConfirmForm", "NoteForm", "NpsCommentForm", "SegmentForm", "UsageUploadForm"]
