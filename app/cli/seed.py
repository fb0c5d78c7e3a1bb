"""`flask seed-demo`: fill an empty database with the demo desk."""

import time

import click
from flask import current_app
from flask_babel import gettext as _

from app.cli.common import fail
from app.extensions import db


def _print_logins():
    from app.demo import DEMO_PASSWORD
    from app.demo.accounts import DEMO_ORGANIZATION, LOGINS

    click.echo(_("Log in at %(url)s/login with the password %(password)s:",
                 url=current_app.config["BASE_URL"], password=DEMO_PASSWORD))
    for email, role in LOGINS:
        extra = f" ({DEMO_ORGANIZATION})" if role == "customer" else ""
        click.echo(f"  {email:<22} {role}{extra}")


def register(app):
    @app.cli.command("seed-demo")
    def seed_demo_command():
        """Fill the database with a realistic demo (does nothing when the demo is there)."""
        from app.demo import DemoConflict, seed_demo
        from app.jobs import run_inline_jobs

        started = time.monotonic()
        try:
            demo = seed_demo()
            db.session.commit()
            # The demo's follow-up work (mails, SLA clocks, topics) is done before the desk opens.
            run_inline_jobs(limit=None)
        except DemoConflict as exc:
            db.session.rollback()
            fail(_("Not seeding: these demo addresses already belong to users: %(emails)s. "
                   "seed-demo only runs on a database without them.", emails=", ".join(exc.args[0])))
        if demo is None:
            click.echo(_("The demo data is already there; nothing to do."))
        else:
            click.echo(_(
                "Demo data created in %(seconds).1f s: %(orgs)d organizations, %(users)d users, "
                "%(groups)d groups, %(tickets)d tickets.",
                seconds=time.monotonic() - started, orgs=len(demo.organizations), users=len(demo.users),
                groups=len(demo.groups), tickets=len(demo.tickets),
            ))
        _print_logins()
