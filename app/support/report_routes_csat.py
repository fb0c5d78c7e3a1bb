"""The CSAT report for staff: good/bad answers per agent, group and ISO week over a period."""

from flask import render_template, request

from app.core.permissions import require
from app.support import bp
from app.support.csat import csat_report, default_period
from app.support.customer_forms import CsatReportFilterForm


@bp.get("/agent/reports/csat")
@require("agent", write=False)
def csat_report_page():
    form = CsatReportFilterForm(request.args)
    start, end = default_period()
    status = 200
    if form.validate():
        start, end = form.start.data or start, form.end.data or end
        if form.start.data and not form.end.data and start > end:
            end = start
    else:
        status = 400
    form.start.data, form.end.data = start, end
    return render_template("support/csat_report.html", form=form, report=csat_report(start, end)), status
