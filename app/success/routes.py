"""The customer-success home: the metrics dashboard, rising-topic alerts and today's tasks.
The accounts list lives at /success/accounts (app/success/health/routes.py)."""

from flask import render_template
from flask_babel import gettext as _
from flask_login import current_user

from app.core.permissions import can, require
from app.models.base import utcnow
from app.success import bp
from app.success.health import metrics
from app.success.health.services import BAND_LABELS


def _alerts():
    try:
        from app.success.topics import spike_alerts
    except ImportError:
        return None
    return spike_alerts(5)


def _tasks(user, now):
    try:
        from app.success.playbooks.tasks import tasks_for_home
    except ImportError:
        return None
    return tasks_for_home(user, now)


def _charts(figures):
    month = lambda d: d.strftime("%Y-%m")  # noqa: E731
    return {
        "churn": {"type": "line", "labels": [month(r["month"]) for r in figures["churn"]], "percent": True,
                  "series": [{"label": _("Churn %"), "data": [r["churn"] for r in figures["churn"]]},
                             {"label": _("Retention %"), "data": [r["retention"] for r in figures["churn"]]}]},
        "nps": {"type": "bar", "labels": [month(m) for m, _s in figures["nps_months"]],
                "series": [{"label": _("NPS"), "data": [s["nps"] for _m, s in figures["nps_months"]]}]},
        "csat": {"type": "bar", "labels": [month(r["month"]) for r in figures["csat_months"]], "percent": True,
                 "series": [{"label": _("Good CSAT (%)"), "data": [r["percent"] for r in figures["csat_months"]]}]},
        "times": {"type": "line", "labels": [month(r["month"]) for r in figures["times"]],
                  "series": [{"label": _("First reply (hours)"), "data": [r["first_reply_hours"] for r in figures["times"]]},
                             {"label": _("Resolution (hours)"), "data": [r["resolution_hours"] for r in figures["times"]]}]},
        "bands": {"type": "doughnut", "labels": [str(BAND_LABELS[b]) for b in ("healthy", "at_risk", "critical")],
                  "series": [{"label": _("Accounts"),
                              "data": [figures["bands"][b] for b in ("healthy", "at_risk", "critical")]}]},
    }


@bp.get("/success/")
@require("success")
def home():
    now = utcnow()
    figures = metrics.dashboard(now)
    return render_template("success/home.html", figures=figures, charts=_charts(figures),
                           alerts=_alerts(), tasks=_tasks(current_user, now), band_labels=BAND_LABELS, now=now,
                           can_write=can(current_user, "success", write=True))
