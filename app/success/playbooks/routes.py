"""Playbook pages (templates, steps, triggers, outcomes) and the start page: thin views over
editing.py, services.py and outcomes.py. Run and task pages are in run_routes.py."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.routing import BuildError

from app.core.errors import DomainError
from app.core.permissions import can, require
from app.extensions import db
from app.models import Group, Organization
from app.models.base import utcnow
from app.models.playbooks import OBJECTIVES, STEP_KINDS, TRIGGER_KINDS, Playbook, PlaybookRun
from app.success import bp
from app.success.playbooks import editing, services, signals
from app.success.playbooks import outcomes as outcome_figures
from app.success.playbooks.scheduling import split_delay


def _labels():
    """Names shown for codes (built per request, so they follow the viewer's language)."""
    return {
        "objective": {
            "none": _("No objective (the run ends after its last step)"),
            "no_topic_tickets": _("No new tickets on a topic for N days"),
            "healthy": _("Health back to healthy"), "renewed": _("Renewed"),
        },
        "kind": {"email": _("Send e-mail"), "call": _("Call"), "task": _("Task"),
                 "kb_article": _("Share KB article"), "wait": _("Wait")},
        "owner": {"account_csm": _("The account's CSM"), "user": _("A named person"),
                  "round_robin": _("Round-robin in a group")},
        "trigger": {"health_band": _("Health falls into a band"), "topic_rising": _("A topic is rising"),
                    "nps_detractor": _("NPS detractor"), "renewal_within": _("Renewal within N days"),
                    "onboarding": _("New account (onboarding)")},
        "audience": {"affected": _("affected accounts"), "at_risk": _("accounts at risk"),
                     "both": _("affected and at-risk accounts")},
        "band": {"healthy": _("healthy"), "at_risk": _("at risk"), "critical": _("critical")},
        "status": {"draft": _("draft"), "active": _("active"), "archived": _("archived")},
        "run": {k: str(v) for k, v in services.RUN_STATUS_LABELS.items()},
        "step_state": {"open": _("with a person"), "held": _("held for review"), "done": _("done"),
                       "skipped": _("skipped"), "waiting": _("waiting")},
        "skip": {k: str(v) for k, v in services.SKIP_REASONS.items()},
        "source": {"manual": _("started by hand"), "segment": _("started for a segment"),
                   "trigger": _("started by a trigger")},
    }


def _can_write():
    return can(current_user, "success", write=True)


def _fail(exc, endpoint, **values):
    db.session.rollback()
    flash(exc.message, "error")
    return redirect(url_for(endpoint, **values))


def _form_int(name):
    value = (request.form.get(name) or request.args.get(name) or "").strip()
    return int(value) if value.isdigit() else None


# --- playbook templates ----------------------------------------------------------------------------

@bp.get("/success/playbooks")
@require("success")
def playbooks():
    rows = editing.list_playbooks()
    open_runs = dict(db.session.execute(
        select(PlaybookRun.playbook_id, db.func.count(PlaybookRun.id))
        .where(PlaybookRun.status.in_(("active", "paused"))).group_by(PlaybookRun.playbook_id)).all())
    return render_template("success/playbooks.html", playbooks=rows, open_runs=open_runs, labels=_labels(),
                           can_write=_can_write())


def _settings_values():
    f = request.form
    return dict(name=f.get("name", ""), description=f.get("description", ""), objective=f.get("objective", "none"),
                objective_topic_id=f.get("objective_topic_id") or None, objective_days=f.get("objective_days", 30),
                reenrol_days=f.get("reenrol_days", 90), max_runs_per_account=f.get("max_runs_per_account", 3))


@bp.route("/success/playbooks/new", methods=["GET", "POST"])
@require("success")
def playbook_new():
    error = None
    if request.method == "POST":
        try:
            playbook = editing.save_playbook(current_user, **_settings_values())
            db.session.commit()
            flash(_("Playbook created. Add its steps, then activate it."), "success")
            return redirect(url_for("success.playbook", playbook_id=playbook.id))
        except DomainError as exc:
            db.session.rollback()
            error = exc
    return render_template("success/playbook_new.html", error=error, form=request.form, labels=_labels(),
                           topics=_topics(), objectives=OBJECTIVES, can_write=_can_write()), 422 if error else 200


def _topics():
    try:
        return signals.topics_for_choice()
    except ImportError:
        return []


@bp.get("/success/playbooks/<int:playbook_id>")
@require("success")
def playbook(playbook_id):
    playbook = editing.get_playbook(playbook_id)
    now = utcnow()
    figures = outcome_figures.playbook_outcomes(playbook, now)
    labels = _labels()
    chart = outcome_figures.chart_data(figures, {
        "before": _("Topic tickets per account, 30 days before"), "after": _("Topic tickets per account, 30 days after"),
        "health": _("Health change (points)"), "enrolled": _("Enrolled"), "comparable": _("Comparable, not enrolled"),
    })
    runs = db.session.scalars(select(PlaybookRun).where(PlaybookRun.playbook_id == playbook.id)
                              .order_by(PlaybookRun.id.desc()).limit(100)).all()
    segment_rows = _segments()
    return render_template(
        "success/playbook.html", playbook=playbook, figures=figures, chart=chart, runs=runs, labels=labels,
        can_write=_can_write(), topics=_topics(), objectives=OBJECTIVES, step_kinds=STEP_KINDS,
        trigger_kinds=TRIGGER_KINDS, groups=db.session.scalars(select(Group).order_by(Group.name)).all(),
        organizations=_choosable_orgs(),
        segments=segment_rows, split_delay=split_delay, topic_label=signals.topic_label,
        placeholders=editing.PLACEHOLDERS,
    )


@bp.post("/success/playbooks/<int:playbook_id>/settings")
@require("success")
def playbook_settings(playbook_id):
    playbook = editing.get_playbook(playbook_id)
    try:
        editing.save_playbook(current_user, playbook, **_settings_values())
        db.session.commit()
    except DomainError as exc:
        return _fail(exc, "success.playbook", playbook_id=playbook_id)
    flash(_("Settings saved."), "success")
    return redirect(url_for("success.playbook", playbook_id=playbook_id))


@bp.post("/success/playbooks/<int:playbook_id>/status")
@require("success")
def playbook_status(playbook_id):
    playbook = editing.get_playbook(playbook_id)
    try:
        editing.set_playbook_status(current_user, playbook, request.form.get("status", ""))
        db.session.commit()
    except DomainError as exc:
        return _fail(exc, "success.playbook", playbook_id=playbook_id)
    flash(_("The playbook is now %(status)s.", status=_labels()["status"][playbook.status]), "success")
    return redirect(url_for("success.playbook", playbook_id=playbook_id))


def _step_values():
    f = request.form
    return dict(kind=f.get("kind", ""), title=f.get("title", ""), subject=f.get("subject", ""), body=f.get("body", ""),
                hold_for_review=f.get("hold_for_review") in ("1", "on", "y", "true"),
                article_id=f.get("article_id"), article_url=f.get("article_url", ""),
                delay_days=f.get("delay_days") or 0, delay_hours=f.get("delay_hours") or 0,
                owner_rule=f.get("owner_rule", "account_csm"), owner_email=f.get("owner_email", ""),
                owner_group_id=f.get("owner_group_id"))


@bp.post("/success/playbooks/<int:playbook_id>/steps")
@require("success")
def step_add(playbook_id):
    playbook = editing.get_playbook(playbook_id)
    try:
        editing.save_step(current_user, playbook, **_step_values())
        db.session.commit()
    except DomainError as exc:
        return _fail(exc, "success.playbook", playbook_id=playbook_id, _anchor="add-step")
    flash(_("Step added."), "success")
    return redirect(url_for("success.playbook", playbook_id=playbook_id, _anchor="steps"))


@bp.route("/success/playbooks/<int:playbook_id>/steps/<int:step_id>", methods=["GET", "POST"])
@require("success")
def step_edit(playbook_id, step_id):
    playbook = editing.get_playbook(playbook_id)
    step = editing.get_step(playbook, step_id)
    error = None
    if request.method == "POST":
        try:
            editing.save_step(current_user, playbook, step, **_step_values())
            db.session.commit()
            flash(_("Step saved."), "success")
            return redirect(url_for("success.playbook", playbook_id=playbook_id, _anchor="steps"))
        except DomainError as exc:
            db.session.rollback()
            error = exc
            step = editing.get_step(playbook, step_id)
    return render_template("success/playbook_step.html", playbook=playbook, step=step, error=error,
                           form=request.form if error else None, labels=_labels(), step_kinds=STEP_KINDS,
                           groups=db.session.scalars(select(Group).order_by(Group.name)).all(),
                           split_delay=split_delay, can_write=_can_write(),
                           placeholders=editing.PLACEHOLDERS), 422 if error else 200


@bp.post("/success/playbooks/<int:playbook_id>/steps/<int:step_id>/delete")
@require("success")
def step_delete(playbook_id, step_id):
    playbook = editing.get_playbook(playbook_id)
    try:
        editing.delete_step(current_user, playbook, editing.get_step(playbook, step_id))
        db.session.commit()
    except DomainError as exc:
        if exc.status == 404:
            raise
        return _fail(exc, "success.playbook", playbook_id=playbook_id)
    flash(_("Step removed."), "success")
    return redirect(url_for("success.playbook", playbook_id=playbook_id, _anchor="steps"))


@bp.post("/success/playbooks/<int:playbook_id>/steps/<int:step_id>/move")
@require("success")
def step_move(playbook_id, step_id):
    playbook = editing.get_playbook(playbook_id)
    editing.move_step(current_user, playbook, editing.get_step(playbook, step_id), request.form.get("direction"))
    db.session.commit()
    return redirect(url_for("success.playbook", playbook_id=playbook_id, _anchor="steps"))


@bp.post("/success/playbooks/<int:playbook_id>/triggers")
@require("success")
def trigger_add(playbook_id):
    playbook = editing.get_playbook(playbook_id)
    f = request.form
    try:
        editing.add_trigger(current_user, playbook, kind=f.get("kind", ""), band=f.get("band"),
                             audience=f.get("audience"), days=f.get("days"))
        db.session.commit()
    except DomainError as exc:
        return _fail(exc, "success.playbook", playbook_id=playbook_id, _anchor="triggers")
    flash(_("Trigger added; it is evaluated every five minutes."), "success")
    return redirect(url_for("success.playbook", playbook_id=playbook_id, _anchor="triggers"))


@bp.post("/success/playbooks/<int:playbook_id>/triggers/<int:trigger_id>/delete")
@require("success")
def trigger_delete(playbook_id, trigger_id):
    playbook = editing.get_playbook(playbook_id)
    editing.delete_trigger(current_user, playbook, trigger_id)
    db.session.commit()
    flash(_("Trigger removed."), "success")
    return redirect(url_for("success.playbook", playbook_id=playbook_id, _anchor="triggers"))


# --- enrolment -------------------------------------------------------------------------------------

def _start_scope():
    """The accounts the start page is about, from its query string (or the posted form)."""
    source = request.values
    topic_id, org_id, segment_id = (_form_int("topic_id"), _form_int("organization_id"), _form_int("segment_id"))
    audience = source.get("accounts") or "affected"
    return services.enrolment_candidates(topic_id=topic_id, audience=audience, organization_id=org_id,
                                         segment_id=segment_id), topic_id, audience


@bp.route("/success/playbooks/start", methods=["GET", "POST"])
@require("success")
def playbook_start():
    error = None
    choosing = request.method == "GET" and not any(request.args.get(k) for k in ("topic_id", "organization_id",
                                                                                 "segment_id"))
    scope, orgs, topic_id, audience = None, [], None, None
    if not choosing:  # without a topic, account or segment the page offers to choose one
        try:
            (scope, orgs), topic_id, audience = _start_scope()
        except DomainError as exc:
            if exc.status == 404:
                raise
            error = exc.message
    active = db.session.scalars(select(Playbook).where(Playbook.status == "active").order_by(Playbook.name)).all()
    status = 200 if error is None else 400
    if request.method == "POST" and error is None:
        playbook_id = _form_int("playbook_id")
        chosen = {int(v) for v in request.form.getlist("org_ids") if v.isdigit()}
        allowed = {o.id for o in orgs}
        playbook = db.session.get(Playbook, playbook_id) if playbook_id else None
        if playbook is None:
            error, status = _("Choose a playbook."), 400
        elif not chosen or not chosen <= allowed:
            error, status = _("Choose at least one of the accounts listed."), 400
        else:
            try:
                source = "segment" if scope["kind"] == "segment" else "manual"
                created, skipped = services.enrol_accounts(current_user, playbook, sorted(chosen), now=utcnow(),
                                                           source=source, topic_id=topic_id)
                db.session.commit()
            except DomainError as exc:
                db.session.rollback()
                error, status = exc.message, exc.status
            else:
                _flash_enrolment(created, skipped)
                return redirect(url_for("success.playbook", playbook_id=playbook.id, _anchor="runs"))
    if request.method == "GET" and error is None and not orgs and not choosing:
        error = _("No accounts match: there is nobody to enrol.")
    running = _running(orgs)
    return render_template("success/playbook_start.html", scope=scope, orgs=orgs, playbooks=active, error=error,
                           topic_id=topic_id, audience=audience, running=running, labels=_labels(),
                           selected_playbook=_form_int("playbook_id"), can_write=_can_write(),
                           organization_id=_form_int("organization_id"), segment_id=_form_int("segment_id"),
                           topic_url=_topic_url(topic_id), choosing=choosing,
                           all_orgs=_choosable_orgs() if choosing else [],
                           segments=_segments() if choosing else []), status


def _choosable_orgs():
    return db.session.scalars(select(Organization).where(Organization.stage != "churned")
                              .order_by(Organization.name).limit(1000)).all()


def _segments():
    try:
        return signals.segments()
    except ImportError:
        return []


def _topic_url(topic_id):
    if not topic_id:
        return None
    try:
        return url_for("success.topic", topic_id=topic_id)
    except BuildError:  # the topic pages are another feature's
        return None


def _running(orgs):
    """{org id: [playbook names]} of open runs, shown beside each account."""
    ids = [o.id for o in orgs]
    found = {}
    if ids:
        for org_id, name in db.session.execute(
            select(PlaybookRun.organization_id, Playbook.name).join(Playbook)
            .where(PlaybookRun.organization_id.in_(ids), PlaybookRun.status.in_(("active", "paused")))).all():
            found.setdefault(org_id, []).append(name)
    return found


def _flash_enrolment(created, skipped):
    if created:
        flash(_("%(n)d accounts enrolled.", n=len(created)), "success")
    if skipped:
        reasons = _labels()["skip"]
        counts = {}
        for reason in skipped.values():
            counts[reason] = counts.get(reason, 0) + 1
        flash(_("%(n)d accounts not enrolled: %(why)s.", n=len(skipped),
                why="; ".join(f"{c} {reasons.get(r, r)}" for r, c in counts.items())), "error" if not created else "info")


# Run and task pages register on the same blueprint.
from app.success.playbooks import run_routes as _run_routes  # noqa: E402,F401
