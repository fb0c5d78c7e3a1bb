"""Admin pages for business calendars and SLA policies. Thin views: the rules are in
app/support/sla/config.py; each view calls one use case and commits once."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select
from wtforms import SelectChoice, SelectField

from app.admin import bp
from app.admin.services import get_or_404
from app.admin.sla_forms import CalendarForm, GroupCalendarsForm, MoveForm, PolicyForm, priority_choices
from app.core.errors import DomainError
from app.core.permissions import require
from app.extensions import db
from app.models import Group
from app.models.sla import BusinessCalendar, SlaPolicy, TicketSlaClock
from app.support.sla import config


def _refuse(exc, template, form, **context):
    """Nothing is kept; the form comes back with the message by the field at fault."""
    db.session.rollback()
    field = form[exc.field] if exc.field and exc.field in form else None
    if field is not None:
        field.errors = list(field.errors) + [exc.message]
    # Also on top: in a long form the field may be out of sight.
    context["error"] = _("Nothing was saved: %(reason)s", reason=exc.message)
    return render_template(template, form=form, **context), exc.status


def _calendar_choices():
    rows = db.session.execute(select(BusinessCalendar.id, BusinessCalendar.name, BusinessCalendar.is_default)
                              .order_by(BusinessCalendar.name)).all()
    default = next((r.name for r in rows if r.is_default), None)
    none_label = _("Default (%(name)s)", name=default) if default else _("Default")
    return [SelectChoice("", none_label)] + [SelectChoice(str(r.id), r.name) for r in rows]


def _group_calendars_form(groups, formdata=None):
    """A select per group, named calendar_<id>."""

    class Form(GroupCalendarsForm):
        pass

    choices = _calendar_choices()
    for group in groups:
        setattr(Form, f"calendar_{group.id}", SelectField(
            group.name, choices=choices, default=str(group.calendar_id or ""), validate_choice=False,
            coerce=lambda v: int(v) if v not in (None, "", "None") else None,
        ))
    return Form(formdata=formdata)


# --- calendars ---------------------------------------------------------------------------------

def _calendars_page(status=200, **context):
    calendars = db.session.scalars(select(BusinessCalendar).order_by(BusinessCalendar.name)).all()
    groups = db.session.scalars(select(Group).order_by(Group.name)).all()
    context.setdefault("groups_form", _group_calendars_form(groups, formdata=None))
    return render_template("admin/sla_calendars.html", calendars=calendars, groups=groups, **context), status


@bp.get("/sla/calendars/")
@require("admin")
def sla_calendars():
    return _calendars_page()


@bp.post("/sla/calendars/groups")
@require("admin")
def sla_group_calendars():
    groups = db.session.scalars(select(Group).order_by(Group.name)).all()
    form = _group_calendars_form(groups, formdata=request.form)
    if not form.validate_on_submit():
        return _calendars_page(400, groups_form=form, error=_("Choose a calendar for each group."))
    assignments = {g.id: form[f"calendar_{g.id}"].data for g in groups if f"calendar_{g.id}" in request.form}
    try:
        changed = config.assign_group_calendars(assignments)
    except DomainError as exc:
        db.session.rollback()
        return _calendars_page(exc.status, error=exc.message)
    db.session.commit()
    flash(_("Calendars of %(n)d groups changed.", n=len(changed)) if changed else _("Nothing changed."), "success")
    return redirect(url_for("admin.sla_calendars"), 303)


def _save_calendar(calendar, form):
    return config.save_calendar(
        calendar, name=form.name.data, timezone=form.timezone.data, is_default=form.is_default.data,
        hours={day: config.parse_day_intervals(text, field=f"hours_{day}") for day, text in form.hours().items()},
        holidays=form.holidays.data or "",
    )


def _calendar_context(calendar):
    users = [] if calendar is None else db.session.scalars(
        select(Group).where(Group.calendar_id == calendar.id).order_by(Group.name)).all()
    return {"calendar": calendar, "calendar_groups": users}


@bp.route("/sla/calendars/new", methods=["GET", "POST"])
@require("admin")
def new_sla_calendar():
    form = CalendarForm()
    if request.method == "GET":
        for day, intervals in config.example_week_hours().items():
            form[f"hours_{day}"].data = ", ".join(f"{a}-{b}" for a, b in intervals)
        return render_template("admin/sla_calendar.html", form=form, **_calendar_context(None))
    if not form.validate_on_submit():
        return render_template("admin/sla_calendar.html", form=form, **_calendar_context(None)), 400
    try:
        calendar = _save_calendar(None, form)
    except DomainError as exc:
        return _refuse(exc, "admin/sla_calendar.html", form, **_calendar_context(None))
    db.session.commit()
    flash(_("Calendar %(name)s created.", name=calendar.name), "success")
    return redirect(url_for("admin.sla_calendar", calendar_id=calendar.id), 303)


@bp.route("/sla/calendars/<int:calendar_id>", methods=["GET", "POST"])
@require("admin")
def sla_calendar(calendar_id):
    calendar = get_or_404(BusinessCalendar, calendar_id)
    form = CalendarForm()
    if request.method == "GET":
        form.load(calendar)
        return render_template("admin/sla_calendar.html", form=form, **_calendar_context(calendar))
    if not form.validate_on_submit():
        return render_template("admin/sla_calendar.html", form=form, **_calendar_context(calendar)), 400
    try:
        _save_calendar(calendar, form)
    except DomainError as exc:
        db.session.rollback()
        return _refuse(exc, "admin/sla_calendar.html", form,
                       **_calendar_context(db.session.get(BusinessCalendar, calendar_id)))
    db.session.commit()
    flash(_("Calendar saved; open tickets' due times are being recomputed."), "success")
    return redirect(url_for("admin.sla_calendar", calendar_id=calendar_id), 303)


@bp.post("/sla/calendars/<int:calendar_id>/delete")
@require("admin")
def delete_sla_calendar(calendar_id):
    calendar = get_or_404(BusinessCalendar, calendar_id)
    name = calendar.name
    try:
        config.delete_calendar(calendar)
    except DomainError as exc:
        db.session.rollback()
        return _calendars_page(exc.status, error=exc.message)
    db.session.commit()
    flash(_("Calendar %(name)s deleted.", name=name), "success")
    return redirect(url_for("admin.sla_calendars"), 303)


# --- policies ----------------------------------------------------------------------------------

def _policies_page(status=200, **context):
    rows = config.policies()
    # Clocks now running per policy, so an admin sees what a change will touch.
    running = dict(db.session.execute(
        select(TicketSlaClock.policy_id, func.count()).where(TicketSlaClock.state.in_(("active", "paused")))
        .group_by(TicketSlaClock.policy_id)).all())
    groups = dict(db.session.execute(select(Group.id, Group.name)).all())
    summaries = {p.id: config.describe_conditions(p.conditions, groups) for p in rows}
    return render_template("admin/sla_policies.html", policies=rows, running=running, summaries=summaries,
                           **context), status


@bp.get("/sla/policies/")
@require("admin")
def sla_policies():
    return _policies_page()


def _policy_form(policy=None):
    form = PolicyForm()
    groups = db.session.execute(select(Group.id, Group.name).order_by(Group.name)).all()
    form.group_ids.choices = [SelectChoice(g.id, g.name) for g in groups]
    form.reassign_group_id.choices = [SelectChoice("", _("Nobody: keep the group"))] + [
        SelectChoice(str(g.id), g.name) for g in groups]
    if request.method == "GET":
        if policy is not None:
            form.load(policy)
        else:
            for metric, field in form.pause_fields():
                field.data = list(config.DEFAULT_PAUSE_STATUSES.get(metric, []))
    return form


def _policy_context(policy):
    headers = [(p, label) for p, label in ((int(c.value), c.label) for c in priority_choices())]
    return {"policy": policy, "priority_headers": headers, "metric_labels": config.METRIC_LABELS}


def _save_policy(policy, form):
    return config.save_policy(
        policy, name=form.name.data, active=form.active.data, warn_minutes=form.warn_minutes.data,
        targets=form.targets(), conditions=form.conditions(), pause_statuses=form.pause_statuses(),
        escalation=form.escalation(),
    )


@bp.route("/sla/policies/new", methods=["GET", "POST"])
@require("admin")
def new_sla_policy():
    form = _policy_form()
    if request.method == "GET":
        return render_template("admin/sla_policy.html", form=form, **_policy_context(None))
    if not form.validate_on_submit():
        return render_template("admin/sla_policy.html", form=form, **_policy_context(None)), 400
    try:
        policy = _save_policy(None, form)
    except DomainError as exc:
        return _refuse(exc, "admin/sla_policy.html", form, **_policy_context(None))
    db.session.commit()
    flash(_("Policy %(name)s created.", name=policy.name), "success")
    return redirect(url_for("admin.sla_policies"), 303)


@bp.route("/sla/policies/<int:policy_id>", methods=["GET", "POST"])
@require("admin")
def sla_policy(policy_id):
    policy = get_or_404(SlaPolicy, policy_id)
    form = _policy_form(policy)
    if request.method == "GET":
        return render_template("admin/sla_policy.html", form=form, **_policy_context(policy))
    if not form.validate_on_submit():
        return render_template("admin/sla_policy.html", form=form, **_policy_context(policy)), 400
    try:
        _save_policy(policy, form)
    except DomainError as exc:
        db.session.rollback()
        return _refuse(exc, "admin/sla_policy.html", form, **_policy_context(db.session.get(SlaPolicy, policy_id)))
    db.session.commit()
    flash(_("Policy saved; open tickets' due times are being recomputed."), "success")
    return redirect(url_for("admin.sla_policy", policy_id=policy_id), 303)


@bp.post("/sla/policies/<int:policy_id>/move")
@require("admin")
def move_sla_policy(policy_id):
    policy = get_or_404(SlaPolicy, policy_id)
    form = MoveForm()
    if not form.validate_on_submit():
        return _policies_page(400, error=_("Move a policy up or down."))
    if config.move_policy(policy, form.direction.data):
        db.session.commit()
    return redirect(url_for("admin.sla_policies"), 303)


@bp.post("/sla/policies/<int:policy_id>/delete")
@require("admin")
def delete_sla_policy(policy_id):
    policy = get_or_404(SlaPolicy, policy_id)
    name = policy.name
    config.delete_policy(policy)
    db.session.commit()
    flash(_("Policy %(name)s deleted; tickets it applied to are matched again.", name=name), "success")
    return redirect(url_for("admin.sla_policies"), 303)
