"""Product-usage figures, imported from CSV (pages) or JSON (API). All or nothing: one bad row and
nothing is saved."""

import csv
import io
import math
import re
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import func, select

from app.core.errors import DomainError
from app.extensions import db
from app.models import Organization
from app.models.base import utcnow
from app.models.health import UsageFigure

MAX_ROWS = 50_000
MAX_BYTES = 5 * 1024 * 1024
METRIC_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
MAX_VALUE = 1e12


class UsageError(DomainError):
    """Carries every problem found, one `line N: reason` each."""

    status = 400
    code = "bad_request"

    def __init__(self, problems):
        super().__init__("; ".join(problems[:20]) + (" …" if len(problems) > 20 else ""))
        self.problems = problems


def _check_figure(metric, value, day, today):
    """(metric, float, date) or a reason."""
    metric = (metric or "").strip().lower()
    if not METRIC_RE.match(metric):
        return _("the metric must be a short name of letters, digits, _ . or - (e.g. logins)")
    try:
        number = float(str(value).strip())
    except (TypeError, ValueError):
        return _("the value %(value)r is not a number", value=value)
    if not math.isfinite(number) or number < 0 or number > MAX_VALUE:
        return _("the value must be a number from 0 to 10^12")
    if isinstance(day, date):
        parsed = day
    else:
        try:
            parsed = date.fromisoformat(str(day or "").strip())
        except ValueError:
            return _("the date %(value)r is not a date like 2026-11-20", value=day)
    if parsed > today:
        return _("the date %(date)s is in the future", date=parsed.isoformat())
    return metric, number, parsed


def _org_lookup(keys):
    """Accounts by id (digits) or by name, case-insensitive."""
    names = {k.lower() for k in keys if not k.isdigit()}
    ids = {int(k) for k in keys if k.isdigit()}
    found = {}
    if names:
        for oid, name in db.session.execute(select(Organization.id, Organization.name)
                                            .where(func.lower(Organization.name).in_(names))):
            found[name.lower()] = oid
    if ids:
        for oid in db.session.scalars(select(Organization.id).where(Organization.id.in_(ids))):
            found[str(oid)] = oid
    return found


def parse_csv(data, organization_id=None, today=None):
    """[(org_id, metric, value, day)] from CSV bytes/str with columns `account,metric,value,date`
    (`account` optional when importing for one account). Raises UsageError listing every bad line."""
    today = today or utcnow().date()
    if isinstance(data, bytes):
        if len(data) > MAX_BYTES:
            raise UsageError([_("The file is larger than 5 MB.")])
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise UsageError([_("The file is not UTF-8 text.")]) from None
    reader = csv.DictReader(io.StringIO(data))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    reader.fieldnames = header
    needed = {"metric", "value", "date"} | (set() if organization_id else {"account"})
    if not header:
        raise UsageError([_("The file is empty.")])
    absent = sorted(needed - set(header))
    if absent:
        raise UsageError([_("line 1: missing column(s) %(names)s; expected account,metric,value,date",
                            names=", ".join(absent))])
    rows, problems = [], []
    try:
        raw_rows = list(reader)
    except csv.Error as exc:
        raise UsageError([_("The file is not valid CSV: %(error)s", error=str(exc))]) from None
    if len(raw_rows) > MAX_ROWS:
        raise UsageError([_("At most %(n)s rows per file.", n=MAX_ROWS)])
    accounts = _org_lookup({(r.get("account") or "").strip() for r in raw_rows if (r.get("account") or "").strip()})
    seen = set()
    for number, row in enumerate(raw_rows, start=2):
        key = (row.get("account") or "").strip()
        if key:
            oid = accounts.get(key.lower() if not key.isdigit() else key)
            if oid is None:
                problems.append(_("line %(n)s: unknown account %(name)r", n=number, name=key))
                continue
            if organization_id and oid != organization_id:
                problems.append(_("line %(n)s: the account %(name)r is not this account", n=number, name=key))
                continue
        elif organization_id:
            oid = organization_id
        else:
            problems.append(_("line %(n)s: the account is missing", n=number))
            continue
        checked = _check_figure(row.get("metric"), row.get("value"), row.get("date"), today)
        if isinstance(checked, str):
            problems.append(_("line %(n)s: %(reason)s", n=number, reason=checked))
            continue
        if (oid, checked[0], checked[2]) in seen:
            problems.append(_("line %(n)s: the same account, metric and date appear twice", n=number))
            continue
        seen.add((oid, checked[0], checked[2]))
        rows.append((oid, *checked))
    if problems:
        raise UsageError(problems)
    if not rows:
        raise UsageError([_("The file has no rows.")])
    return rows


def parse_json(organization_id, figures, today=None):
    """The API's {"figures": [{"metric", "value", "date"}]} for one account."""
    today = today or utcnow().date()
    rows, problems, seen = [], [], set()
    for index, item in enumerate(figures or []):
        checked = _check_figure(item.get("metric"), item.get("value"), item.get("date"), today)
        if isinstance(checked, str):
            problems.append(f"figures[{index}]: {checked}")
            continue
        if (checked[0], checked[2]) in seen:
            problems.append(f"figures[{index}]: " + _("the same metric and date appear twice"))
            continue
        seen.add((checked[0], checked[2]))
        rows.append((organization_id, *checked))
    if problems:
        err = DomainError("; ".join(problems))
        raise err
    if not rows:
        raise DomainError(_("Send at least one figure."), field="figures")
    return rows


def save_figures(rows, now=None):
    """Upsert the figures (a re-import of the same day replaces the value). Returns how many."""
    from app.success.health.services import _upsert

    now = now or utcnow()
    _upsert(UsageFigure, [{"organization_id": oid, "metric": metric, "value": value, "day": day, "imported_at": now}
                          for oid, metric, value, day in rows], ["organization_id", "metric", "day"])
    db.session.flush()
    return len(rows)


def recent_usage(org_id, limit=30):
    return db.session.execute(
        select(UsageFigure.day, UsageFigure.metric, UsageFigure.value)
        .where(UsageFigure.organization_id == org_id).order_by(UsageFigure.day.desc(), UsageFigure.metric)
        .limit(limit)).all()
