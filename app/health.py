"""`/healthz`: database and Redis status for load balancers and people.

200 when everything Tandem needs answers; 503 when the database is down, or Redis is configured
(jobs go to RQ) but does not answer.
"""

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from app.extensions import csrf, db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@csrf.exempt
def healthz():
    checks = {"database": _database(), "redis": _redis()}
    ok = all(check["ok"] for check in checks.values())
    response = jsonify({"status": "ok" if ok else "degraded", **checks})
    response.headers["Cache-Control"] = "no-store"
    return response, 200 if ok else 503


def _database():
    try:
        db.session.execute(text("SELECT 1"))
        return {"ok": True, "dialect": db.engine.dialect.name}
    except Exception as exc:
        db.session.rollback()
        return {"ok": False, "dialect": db.engine.dialect.name, "error": exc.__class__.__name__}


def _redis():
    if not current_app.config.get("REDIS_URL"):
        return {"ok": True, "configured": False, "jobs": "in-process"}
    try:
        from app.jobs.rq import redis_connection

        redis_connection().ping()
        return {"ok": True, "configured": True, "jobs": "rq"}
    except Exception as exc:
        return {"ok": False, "configured": True, "jobs": "rq", "error": exc.__class__.__name__}
