"""Admin pages for health scoring: weight profiles (default, per lifecycle stage or segment tag)
and band thresholds."""

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from app.admin import bp
from app.core.errors import DomainError
from app.core.permissions import require
from app.extensions import db
from app.i18n import STAGE_LABELS
from app.jobs import enqueue
from app.models.health import AccountHealth, HealthProfile
from app.models.organization import STAGES
from app.success.health.scoring import DEFAULT_WEIGHTS, MEASURES
from app.success.health.services import MEASURE_LABELS, default_profile, save_profile

MAX_ID = 2**31 - 1


class ProfileForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(_l("Enter a name.")), Length(max=100)])
    stage = SelectField(_l("Lifecycle stage"), validators=[Optional()],
                        choices=[SelectChoice("", _l("—"))] + [SelectChoice(s, STAGE_LABELS[s]) for s in STAGES])
    segment_tag = StringField(_l("Segment tag"), validators=[Optional(), Length(max=64)])
    healthy_min = StringField(_l("Healthy from"), validators=[DataRequired(_l("Enter a number."))])
    at_risk_min = StringField(_l("At risk from"), validators=[DataRequired(_l("Enter a number."))],
                              description=_l("Below this the account is critical."))


for _measure in MEASURES:
    setattr(ProfileForm, f"w_{_measure}", StringField(MEASURE_LABELS[_measure], validators=[Optional(), Length(max=12)]))


def _form_for(profile):
    data = {"name": profile.name, "stage": profile.stage or "", "segment_tag": profile.segment_tag or "",
            "healthy_min": str(profile.healthy_min), "at_risk_min": str(profile.at_risk_min)}
    for m in MEASURES:
        value = (profile.weights or {}).get(m, 0)
        data[f"w_{m}"] = f"{float(value):g}"
    return ProfileForm(data=data)


def _new_form():
    data = {"healthy_min": "70", "at_risk_min": "40"}
    data.update({f"w_{m}": f"{w:g}" for m, w in DEFAULT_WEIGHTS.items()})
    return ProfileForm(data=data)


def _weights(form):
    return {m: (getattr(form, f"w_{m}").data or "0").strip() for m in MEASURES}


def _int(value):
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def _list_page(form=None, error=None, status=200):
    default_profile()  # the default is always there to edit
    db.session.commit()
    profiles = db.session.scalars(select(HealthProfile).order_by(HealthProfile.is_default.desc(), HealthProfile.name)).all()
    return render_template("admin/health.html", profiles=profiles, form=form or _new_form(), error=error,
                           measures=MEASURES, measure_labels=MEASURE_LABELS), status


def _apply(profile, form):
    healthy, at_risk = _int(form.healthy_min.data), _int(form.at_risk_min.data)
    if healthy is None or at_risk is None:
        raise DomainError(_("Thresholds must be whole numbers."), field="healthy_min")
    return save_profile(profile, name=form.name.data, weights=_weights(form), healthy_min=healthy,
                        at_risk_min=at_risk, stage=form.stage.data or None, segment_tag=form.segment_tag.data)


def _refused(form, exc, template_call):
    db.session.rollback()
    target = getattr(form, exc.field, None) if exc.field else None
    if target is not None:
        target.errors = list(target.errors) + [exc.message]
        return template_call(form=form, status=exc.status)
    return template_call(form=form, error=exc.message, status=exc.status)


@bp.get("/health")
@require("admin")
def health_profiles():
    return _list_page()


@bp.post("/health")
@require("admin")
def health_profile_create():
    form = ProfileForm()
    if not form.validate_on_submit():
        return _list_page(form, status=400)
    try:
        _apply(None, form)
    except DomainError as exc:
        return _refused(form, exc, lambda form, status, error=None: _list_page(form, error, status))
    db.session.commit()
    _recompute_soon()
    flash(_("Profile saved. Scores are being recomputed."), "success")
    return redirect(url_for("admin.health_profiles"))


def _get(profile_id):
    profile = db.session.get(HealthProfile, profile_id) if profile_id <= MAX_ID else None
    if profile is None:
        abort(404)
    return profile


def _profile_page(profile, form=None, error=None, status=200):
    return render_template("admin/health_profile.html", profile=profile, form=form or _form_for(profile),
                           error=error, measures=MEASURES), status


@bp.get("/health/profiles/<int:profile_id>")
@require("admin")
def health_profile(profile_id):
    return _profile_page(_get(profile_id))


@bp.post("/health/profiles/<int:profile_id>")
@require("admin")
def health_profile_update(profile_id):
    profile = _get(profile_id)
    form = ProfileForm()
    if not form.validate_on_submit():
        return _profile_page(profile, form, status=400)
    try:
        _apply(profile, form)
    except DomainError as exc:
        return _refused(form, exc, lambda form, status, error=None: _profile_page(_get(profile_id), form, error, status))
    db.session.commit()
    _recompute_soon()
    flash(_("Profile saved. Scores are being recomputed."), "success")
    return redirect(url_for("admin.health_profiles"))


@bp.post("/health/profiles/<int:profile_id>/delete")
@require("admin")
def health_profile_delete(profile_id):
    profile = _get(profile_id)
    if not FlaskForm().validate_on_submit():
        abort(400)
    if profile.is_default:
        flash(_("The default profile cannot be deleted."), "error")
        return redirect(url_for("admin.health_profiles"))
    db.session.execute(AccountHealth.__table__.update().where(AccountHealth.profile_id == profile.id)
                       .values(profile_id=None))
    db.session.delete(profile)
    db.session.commit()
    _recompute_soon()
    flash(_("Profile deleted."), "success")
    return redirect(url_for("admin.health_profiles"))


def _recompute_soon():
    enqueue("health.recompute_all")
    db.session.commit()
