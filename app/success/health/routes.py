"""Account, segment, NPS and usage pages, and the public NPS answer page."""

from datetime import timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from app.core.errors import DomainError
from app.core.permissions import can, require
from app.extensions import db
from app.models import Organization, Ticket, User
from app.models.base import utcnow
from app.models.health import AccountNote, Segment
from app.success import bp
from app.success.health import nps as nps_service
from app.success.health import segments as segment_service
from app.success.health import services, usage
from app.success.health.forms import (
    AccountFilterForm, ConfirmForm, NoteForm, NpsCommentForm, SegmentForm, UsageUploadForm,
)
from app.success.health.scoring import MEASURES
from app.success.health.timeline import account_timeline
from app.support.rules import ACTIVE_STATUSES

PER_PAGE = 50
MAX_ID = 2**31 - 1


def _page():
    return min(max(1, request.args.get("page", 1, type=int) or 1), 100_000)


def _get_org(organization_id):
    org = db.session.get(Organization, organization_id) if organization_id <= MAX_ID else None
    if org is None:
        abort(404)
    return org


def _get_segment(segment_id):
    segment = db.session.get(Segment, segment_id) if segment_id <= MAX_ID else None
    if segment is None:
        abort(404)
    return segment


# --- accounts ---------------------------------------------------------------------------------

@bp.get("/success/accounts")
@require("success")
def accounts():
    from app.models.health import AccountHealth

    form = AccountFilterForm(request.args)
    stmt = select(Organization)
    if form.validate():
        if form.q.data:
            stmt = stmt.where(func.lower(Organization.name).contains(form.q.data.strip().lower(), autoescape=True))
        if form.plan.data:
            stmt = stmt.where(func.lower(Organization.plan) == form.plan.data.strip().lower())
        if form.stage.data:
            stmt = stmt.where(Organization.stage == form.stage.data)
        if form.band.data:
            stmt = stmt.join(AccountHealth, AccountHealth.organization_id == Organization.id) \
                .where(AccountHealth.band == form.band.data)
        if form.owner.data == "me":
            stmt = stmt.where(Organization.owner_id == current_user.id)
        if form.tag.data:
            ids = segment_service.accounts_matching({"tags": [form.tag.data.strip().lower()]})
            stmt = stmt.where(Organization.id.in_(ids or [-1]))
    page = db.paginate(stmt.order_by(Organization.mrr.desc(), Organization.name), page=_page(),
                       per_page=PER_PAGE, error_out=False)
    ids = [o.id for o in page.items]
    health = services.health_by_org(ids)
    open_counts = dict(db.session.execute(
        select(Ticket.organization_id, func.count(Ticket.id))
        .where(Ticket.organization_id.in_(ids), Ticket.status.in_(ACTIVE_STATUSES))
        .group_by(Ticket.organization_id)).all()) if ids else {}
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template("success/accounts.html", page=page, health=health, open_counts=open_counts,
                           band_labels=services.BAND_LABELS,
                           form=form, args=args)


def _account_page(org, status=200, note_form=None, usage_form=None, usage_errors=None):
    row = services.health_by_org([org.id]).get(org.id)
    history = services.history(org.id)
    chart = {"labels": [d.isoformat() for d, _s, _b in history], "scores": [s for _d, s, _b in history],
             "label": _("Health score")}
    contacts = db.session.scalars(select(User).where(User.organization_id == org.id).order_by(User.email)).all()
    try:
        from app.success.playbooks.tasks import open_tasks_of_organization
    except ImportError:  # playbooks not installed
        tasks = []
    else:
        tasks = open_tasks_of_organization(org.id)
    return render_template(
        "success/account.html", org=org, health=row, health_json=services.health_json(row),
        measures=MEASURES, measure_labels=services.MEASURE_LABELS, band_labels=services.BAND_LABELS,
        missing_labels=[str(services.MEASURE_LABELS.get(m, m)) for m in (row.missing if row else [])],
        chart=chart, contacts=contacts, timeline=account_timeline(org.id),
        segments=segment_service.segments_of(org.id), nps=nps_service.nps_for([org.id]),
        usage_rows=usage.recent_usage(org.id), tasks=tasks,
        note_form=note_form or NoteForm(), usage_form=usage_form or UsageUploadForm(), usage_errors=usage_errors,
        confirm=ConfirmForm(), can_write=can(current_user, "success", write=True), now=utcnow(),
    ), status


@bp.get("/success/accounts/<int:organization_id>")
@require("success")
def account(organization_id):
    return _account_page(_get_org(organization_id))


@bp.post("/success/accounts/<int:organization_id>/notes")
@require("success")
def account_note(organization_id):
    org = _get_org(organization_id)
    form = NoteForm()
    if not form.validate_on_submit():
        return _account_page(org, 400, note_form=form)
    db.session.add(AccountNote(organization_id=org.id, author_id=current_user.id, body=form.body.data.strip(),
                               created_at=utcnow()))
    db.session.commit()
    flash(_("Note added."), "success")
    return redirect(url_for("success.account", organization_id=org.id))


@bp.post("/success/accounts/<int:organization_id>/nps")
@require("success")
def account_nps(organization_id):
    org = _get_org(organization_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        n = nps_service.send_survey(current_user, [org.id])
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("success.account", organization_id=org.id))
    db.session.commit()
    flash(_("NPS survey sent to %(n)s contacts.", n=n), "success")
    return redirect(url_for("success.account", organization_id=org.id))


@bp.post("/success/accounts/<int:organization_id>/recompute")
@require("success")
def account_recompute(organization_id):
    org = _get_org(organization_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    services.recompute_health([org.id])
    db.session.commit()
    flash(_("Health score recomputed."), "success")
    return redirect(url_for("success.account", organization_id=org.id))


def _read_upload(form):
    upload = request.files.get(form.file.name)
    if upload is None or not upload.filename:
        raise usage.UsageError([_("Choose a CSV file.")])
    return upload.read(usage.MAX_BYTES + 1)


@bp.post("/success/accounts/<int:organization_id>/usage")
@require("success")
def account_usage(organization_id):
    org = _get_org(organization_id)
    form = UsageUploadForm()
    if not form.validate_on_submit():
        return _account_page(org, 400, usage_form=form, usage_errors=[_("The form has expired; try again.")])
    try:
        rows = usage.parse_csv(_read_upload(form), organization_id=org.id)
        n = usage.save_figures(rows)
        services.recompute_health([org.id])
    except usage.UsageError as exc:
        db.session.rollback()
        return _account_page(org, 400, usage_form=form, usage_errors=exc.problems)
    db.session.commit()
    flash(_("Imported %(n)s usage figures.", n=n), "success")
    return redirect(url_for("success.account", organization_id=org.id))


@bp.route("/success/usage", methods=["GET", "POST"])
@require("success")
def usage_import():
    form = UsageUploadForm()
    if request.method == "GET":
        return render_template("success/account_usage.html", form=form, errors=None)
    if not form.validate_on_submit():
        return render_template("success/account_usage.html", form=form,
                               errors=[_("The form has expired; try again.")]), 400
    try:
        rows = usage.parse_csv(_read_upload(form))
        n = usage.save_figures(rows)
        services.recompute_health(sorted({r[0] for r in rows}))
    except usage.UsageError as exc:
        db.session.rollback()
        return render_template("success/account_usage.html", form=form, errors=exc.problems), 400
    db.session.commit()
    flash(_("Imported %(n)s usage figures.", n=n), "success")
    return redirect(url_for("success.usage_import"))


# --- segments ---------------------------------------------------------------------------------

@bp.get("/success/segments")
@require("success")
def segments():
    rows = db.session.scalars(select(Segment).order_by(Segment.name)).all()
    counts = {s.id: len(segment_service.accounts_matching(s.filters or {})) for s in rows}
    return render_template("success/segments.html", segments=rows, counts=counts, form=SegmentForm(),
                           can_write=can(current_user, "success", write=True))


@bp.post("/success/segments")
@require("success")
def segment_create():
    form = SegmentForm()
    rows = db.session.scalars(select(Segment).order_by(Segment.name)).all()
    counts = {s.id: len(segment_service.accounts_matching(s.filters or {})) for s in rows}
    if not form.validate_on_submit():
        return render_template("success/segments.html", segments=rows, counts=counts, form=form, can_write=True), 400
    try:
        segment = segment_service.save_segment(current_user, None, name=form.name.data, filters=form.filters())
    except DomainError as exc:
        db.session.rollback()
        return render_template("success/segments.html", segments=rows, counts=counts, form=form, can_write=True,
                               error=exc.message), exc.status
    db.session.commit()
    flash(_("Segment saved."), "success")
    return redirect(url_for("success.segment", segment_id=segment.id))


def _segment_form(segment):
    f = segment.filters or {}
    form = SegmentForm(data={"name": segment.name, "plans": ", ".join(f.get("plans", [])),
                             "mrr_min": f.get("mrr_min") or "", "mrr_max": f.get("mrr_max") or "",
                             "stages": f.get("stages", []), "bands": f.get("bands", []),
                             "tags": ", ".join(f.get("tags", [])),
                             "min_topic_exposure": f.get("min_topic_exposure") or "",
                             "renewal_within_days": "" if f.get("renewal_within_days") is None
                             else f["renewal_within_days"]})
    return form


def _segment_page(segment, form=None, status=200, error=None):
    ids = segment_service.accounts_matching(segment.filters or {})
    orgs = db.session.scalars(select(Organization).where(Organization.id.in_(ids or [-1]))
                              .order_by(Organization.mrr.desc(), Organization.name)).all()
    months = nps_service.nps_by_month(12, org_ids=ids)
    chart = {"labels": [m.strftime("%Y-%m") for m, _s in months], "values": [s["nps"] for _m, s in months],
             "label": _("NPS")}
    return render_template("success/segment.html", segment=segment, orgs=orgs, health=services.health_by_org(ids),
                           band_labels=services.BAND_LABELS, form=form or _segment_form(segment),
                           nps=nps_service.nps_for(ids), chart=chart, confirm=ConfirmForm(), error=error,
                           can_write=can(current_user, "success", write=True)), status


@bp.get("/success/segments/<int:segment_id>")
@require("success")
def segment(segment_id):
    return _segment_page(_get_segment(segment_id))


@bp.post("/success/segments/<int:segment_id>")
@require("success")
def segment_update(segment_id):
    segment = _get_segment(segment_id)
    form = SegmentForm()
    if not form.validate_on_submit():
        return _segment_page(segment, form, 400)
    try:
        segment_service.save_segment(current_user, segment, name=form.name.data, filters=form.filters())
    except DomainError as exc:
        db.session.rollback()
        return _segment_page(_get_segment(segment_id), form, exc.status, exc.message)
    db.session.commit()
    flash(_("Segment saved."), "success")
    return redirect(url_for("success.segment", segment_id=segment_id))


@bp.post("/success/segments/<int:segment_id>/delete")
@require("success")
def segment_delete(segment_id):
    segment = _get_segment(segment_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    db.session.delete(segment)
    db.session.commit()
    flash(_("Segment deleted."), "success")
    return redirect(url_for("success.segments"))


@bp.post("/success/segments/<int:segment_id>/nps")
@require("success")
def segment_nps(segment_id):
    segment = _get_segment(segment_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        n = nps_service.send_survey(current_user, segment_service.accounts_matching(segment.filters or {}),
                                    segment_id=segment.id)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("success.segment", segment_id=segment_id))
    db.session.commit()
    flash(_("NPS survey sent to %(n)s contacts.", n=n), "success")
    return redirect(url_for("success.segment", segment_id=segment_id))


# --- NPS --------------------------------------------------------------------------------------

@bp.get("/success/nps")
@require("success")
def nps_overview():
    since = utcnow() - timedelta(days=365)
    by_account = nps_service.nps_by_account(since)
    orgs = {o.id: o for o in db.session.scalars(select(Organization).where(Organization.id.in_(list(by_account) or [-1])))}
    accounts = sorted(((orgs[i], s) for i, s in by_account.items() if i in orgs),
                      key=lambda pair: (pair[1]["nps"] if pair[1]["nps"] is not None else 999, pair[0].name))
    segs = []
    for s in db.session.scalars(select(Segment).order_by(Segment.name)):
        segs.append((s, nps_service.nps_for(segment_service.accounts_matching(s.filters or {}), since)))
    months = nps_service.nps_by_month(12)
    chart = {"labels": [m.strftime("%Y-%m") for m, _s in months], "values": [s["nps"] for _m, s in months],
             "label": _("NPS")}
    recent = db.session.execute(
        select(nps_service.NpsResponse, Organization.name)
        .join(Organization, Organization.id == nps_service.NpsResponse.organization_id)
        .where(nps_service.NpsResponse.answered_at.is_not(None))
        .order_by(nps_service.NpsResponse.answered_at.desc()).limit(20)).all()
    return render_template("success/nps.html", overall=nps_service.nps_for(since=since), accounts=accounts,
                           segments=segs, chart=chart, months=months, recent=recent, category=nps_service.category)


def _nps_page(token, response, form=None, status=200, thanks=False):
    return render_template("success/nps_answer.html", token=token, response=response,
                           form=form or NpsCommentForm(data={"score": None if response.score is None
                                                             else str(response.score),
                                                             "comment": response.comment or ""}),
                           thanks=thanks), status


@bp.get("/nps/<token>")
def nps_answer(token):
    """One click from the e-mail records the score at once; the page then offers a comment."""
    try:
        response, score = nps_service.read_token(token)
    except DomainError as exc:
        return render_template("success/nps_answer.html", error=exc.message, response=None, token=token), exc.status
    if score is not None:
        nps_service.answer(response, score)
        db.session.commit()
    return _nps_page(token, response)


@bp.post("/nps/<token>")
def nps_comment(token):
    try:
        response, _score = nps_service.read_token(token)
    except DomainError as exc:
        return render_template("success/nps_answer.html", error=exc.message, response=None, token=token), exc.status
    form = NpsCommentForm()
    if not form.validate_on_submit():
        return _nps_page(token, response, form, 400)
    nps_service.answer(response, int(form.score.data), comment=form.comment.data or "")
    db.session.commit()
    return _nps_page(token, response, form, thanks=True)

