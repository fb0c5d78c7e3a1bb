"""Tandem: a helpdesk where customer support and customer success share one set of data."""

import logging

from flask import Flask

from app.core import blas
from config import load_config


def create_app(config=None):
    """Build the application. `config` is a dict of overrides or a mode name ('testing' …)."""
    app = Flask(__name__, instance_relative_config=False)
    app.json.sort_keys = False  # keep fields in the order the contract documents them
    if isinstance(config, str):
        app.config.update(load_config(mode=config))
    else:
        app.config.update(load_config(mode=(config or {}).get("TANDEM_ENV")))
        app.config.update(config or {})

    blas.limit(app.config["BLAS_THREADS"])
    register_extensions(app)
    register_blueprints(app)
    register_jobs(app)
    register_error_handlers(app)
    register_security_headers(app)
    register_cli(app)
    register_templates(app)
    return app


def register_extensions(app):
    from app.extensions import babel, csrf, db, limiter, login_manager, migrate
    from app.i18n import select_locale, select_timezone

    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = _engine_options(app.config)
    _ensure_sqlite_dir(app.config["SQLALCHEMY_DATABASE_URI"])
    db.init_app(app)
    from app import models  # noqa: F401  register tables

    migrate.init_app(app, db, directory=str(_migrations_dir()), render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)

    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    login_manager.session_protection = "basic"

    from app.auth.services import load_user_from_session

    login_manager.user_loader(load_user_from_session)
    _enable_sqlite_pragmas(app)
    _ping_idle_connections(app)


def _migrations_dir():
    from pathlib import Path

    return Path(__file__).resolve().parent.parent / "migrations"


def _ensure_sqlite_dir(uri):
    from pathlib import Path

    if uri.startswith("sqlite:///") and uri not in ("sqlite:///:memory:",):
        Path(uri[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)


def _engine_options(cfg):
    options = dict(cfg.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    uri = cfg["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("sqlite"):
        options.pop("pool_pre_ping", None)
        options.setdefault("connect_args", {"timeout": 30})
    return options


def _ping_idle_connections(app):
    """A server connection that sat in the pool for DB_PING_AFTER_IDLE_SECONDS is checked before
    use, and replaced if the server has dropped it (restart, idle timeout, a firewall); one handed
    back moments ago is used as it is. A dropped one retires every connection opened before it (a
    restart drops them all), so at most a request already under way sees a restart."""
    import time

    from sqlalchemy import event, exc

    from app.extensions import db

    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite") or app.config["SQLALCHEMY_ENGINE_OPTIONS"].get(
            "pool_pre_ping"):
        return
    limit = app.config["DB_PING_AFTER_IDLE_SECONDS"]
    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "checkin")
    def _idle_from(_dbapi_conn, record):
        record.info["tandem_idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _check_if_idle(dbapi_conn, record, _proxy):
        since = record.info.pop("tandem_idle_since", None)
        if since is None or time.monotonic() - since < limit:
            return
        try:
            engine.dialect.do_ping(dbapi_conn)
        except engine.dialect.loaded_dbapi.Error as error:
            # Likely a server restart: every connection opened before it is retired, not just this one.
            raise exc.InvalidatePoolError(f"pooled connection dropped while idle: {error}") from error


def _enable_sqlite_pragmas(app):
    from sqlalchemy import event

    from app.extensions import db

    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return
    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn, _record):
        cur = dbapi_conn.cursor()
        # WAL lets the web process read while a job writes; foreign keys are off by default.
        if app.config["SQLALCHEMY_DATABASE_URI"] not in ("sqlite://", "sqlite:///:memory:"):
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()


def register_blueprints(app):
    from app.admin import routes as _admin_routes  # noqa: F401
    from app.admin import health_routes as _health_admin_routes  # noqa: F401
    from app.auth import routes as _auth_routes  # noqa: F401
    from app.kb import routes as _kb_routes  # noqa: F401
    from app.kb import manage_routes as _kb_manage_routes  # noqa: F401
    from app.success import routes as _success_routes  # noqa: F401
    from app.success import topic_routes as _topic_routes  # noqa: F401
    from app.success import feedback_routes as _feedback_routes  # noqa: F401
    from app.success.health import routes as _health_routes  # noqa: F401
    from app.success.playbooks import routes as _playbook_routes  # noqa: F401
    from app.support import agent_routes as _agent_routes  # noqa: F401
    from app.support import report_routes as _report_routes  # noqa: F401
    from app.support import routes as _support_routes  # noqa: F401
    from app.support import report_routes_csat as _csat_report_routes  # noqa: F401
    from app.admin import bp as admin_bp
    from app.api import register_api
    from app.auth import bp as auth_bp
    from app.health import bp as health_bp
    from app.kb import bp as kb_bp
    from app.success import bp as success_bp
    from app.support import bp as support_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(support_bp)
    app.register_blueprint(kb_bp)
    app.register_blueprint(success_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(health_bp)
    register_api(app)


def register_jobs(app):
    from app.jobs import load_job_modules, run_inline_jobs
    from app.jobs.schedule import start_scheduler_thread

    load_job_modules()
    # After each request (and when a CLI or job context ends) the in-process jobs run.
    app.teardown_request(run_inline_jobs)
    app.teardown_appcontext(run_inline_jobs)

    if app.config.get("SCHEDULER_IN_PROCESS"):
        started = {"done": False}

        @app.before_request
        def _start_scheduler_once():
            if not started["done"]:
                started["done"] = True
                start_scheduler_thread(app)


def register_error_handlers(app):
    from app.errors import register

    register(app)


def register_security_headers(app):
    from app.security import register

    register(app)


def register_cli(app):
    from app.cli import register

    register(app)


def register_templates(app):
    from app.i18n import register_filters

    register_filters(app)
    logging.getLogger("app").setLevel(logging.INFO)
