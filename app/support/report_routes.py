"""Staff reports: SLA attainment as a page (tables and charts) and as CSV."""

import csv
import io
from datetime import timedelta
from zoneinfo import ZoneInfo

from flask import Response, has_request_context, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import DateField, SelectChoice, SelectField
from wtforms.validators import Optional

from app.core.errors import DomainError
from app.core.permissions import require
from app.extensions import db
from app.i18n import PRIORITY_LABELS, select_timezone
from app.models import Group
from app.models.base import utcnow
from app.models.sla import METRICS, SlaPolicy
from app.support import bp
from app.support.rules import PRIORITY_NAMES
from app.support.sla import report as sla_report_queries
from app.support.sla.config import METRIC_LABELS, warn_window_seconds

DEFAULT_DAYS = 28
HISTOGRAM_LABELS = ("< 30 m", "30 m–1 h", "1–2 h", "2–4 h", "4–8 h", "8–24 h", "24–48 h", "48–120 h", "≥ 120 h")


class SlaReportFilterForm(FlaskForm):
    """The report's filters (GET, so no CSRF token)."""

    class Meta:
        csrf = False

    start = DateField(_l("From"), validators=[Optional()])
    end = DateField(_l("To"), validators=[Optional()])
    group = SelectField(_l("Group"), choices=[], validate_choice=False)
    priority = SelectField(_l("Priority"), choices=[], validate_choice=False)
    policy = SelectField(_l("Policy"), choices=[], validate_choice=False)
    metric = SelectField(_l("Metric"), choices=[], validate_choice=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        groups = db.session.execute(select(Group.id, Group.name).order_by(Group.name)).all()
        policies = db.session.execute(select(SlaPolicy.id, SlaPolicy.name).order_by(SlaPolicy.position)).all()
        self.group.choices = [SelectChoice("", _("All groups")),
                              SelectChoice(sla_report_queries.NO_GROUP, _("No group"))] + [
            SelectChoice(str(g.id), g.name) for g in groups]
        self.priority.choices = [SelectChoice("", _("All priorities"))] + [
            SelectChoice(str(p), PRIORITY_LABELS[name]) for p, name in sorted(PRIORITY_NAMES.items(), reverse=True)]
        self.policy.choices = [SelectChoice("", _("All policies"))] + [
            SelectChoice(str(p.id), p.name) for p in policies]
        self.metric.choices = [SelectChoice("", _("All metrics"))] + [
            SelectChoice(m, METRIC_LABELS[m]) for m in METRICS]

    def filters(self, today, timezone):
        """The ReportFilters asked for, or DomainError saying what is wrong with them."""
        end = self.end.data or today
        start = self.start.data or (end - timedelta(days=DEFAULT_DAYS - 1))
        return sla_report_queries.report_filters(
            start=start, end=end, timezone=timezone, group=self.group.data, priority=self.priority.data,
            policy=self.policy.data, metric=self.metric.data,
        )


@bp.app_template_global("sla_warn_seconds")
def sla_warn_seconds():
    """For support/_sla.html's badge: worked out once per request (the queue shows many badges)."""
    if not has_request_context():
        return warn_window_seconds()
    # Per request, not in `g`: an app context (and its `g`) may outlive many requests.
    cache = request.environ
    if "tandem.sla_warn_seconds" not in cache:
        cache["tandem.sla_warn_seconds"] = warn_window_seconds()
    return cache["tandem.sla_warn_seconds"]


def _labels():
    return {"deleted_policy": _("(deleted policy)"), "no_group": _("(no group)")}


def _filters():
    """(form, ReportFilters or None, error message or None)."""
    form = SlaReportFilterForm(request.args)
    timezone = select_timezone()
    today = utcnow().astimezone(ZoneInfo(timezone)).date()
    if not form.validate():
        return form, None, _("Enter dates as YYYY-MM-DD.")
    try:
        return form, form.filters(today, timezone), None
    except DomainError as exc:
        return form, None, exc.message


@bp.get("/agent/reports/sla")
@require("agent")
def sla_report():
    form, filters, error = _filters()
    if error:
        return render_template("reports/sla.html", form=form, report=None, error=error), 400
    form.start.data, form.end.data = filters.start, filters.end
    report = sla_report_queries.build_report(filters, labels=_labels())
    charts = [
        {"id": f"sla-histogram-{metric}", "title": str(METRIC_LABELS[metric]), "labels": list(HISTOGRAM_LABELS),
         "counts": report.histogram(metric), "axis": _("Business hours"), "count_label": _("Tickets")}
        for metric in sla_report_queries.HISTOGRAM_METRICS
    ]
    return render_template("reports/sla.html", form=form, report=report, charts=charts, error=None,
                           metric_labels=METRIC_LABELS, priority_labels=PRIORITY_LABELS)


@bp.get("/agent/reports/sla.csv")
@require("agent")
def sla_report_csv():
    _form, filters, error = _filters()
    if error:
        return Response(error + "\n", status=400, mimetype="text/plain")
    report = sla_report_queries.build_report(filters, labels=_labels())
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerows(sla_report_queries.csv_rows(report))
    name = f"sla-report-{filters.start.isoformat()}-{filters.end.isoformat()}.csv"
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
