"""`/healthz`: database and Redis status for load balancers and people."""

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from app.extensions import csrf, db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@csrf.exempt
def healthz():
    checks = {}
    try:
        db.session.execute(text("SELECT 1"))
        checks["database"] = {"ok": True, "dialect": db.engine.dialect.name}
    except Exception as exc:
        checks["database"] = {"ok": False, "error": exc.__class__.__name__}
    if current_app.config.get("REDIS_URL"):
        try:
            from app.jobs.rq import redis_connection

            redis_connection().ping()
            checks["redis"] = {"ok": True}
        except Exception as exc:
            checks["redis"] = {"ok": False, "error": exc.__class__.__name__}
    else:
        checks["redis"] = {"ok": True, "configured": False, "jobs": "in-process"}
    ok = all(c["ok"] for c in checks.values())
    return jsonify({"status": "ok" if ok else "degraded", **checks}), 200 if ok else 503
