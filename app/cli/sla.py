"""`flask sla sweep [--json]`: run one SLA sweep now."""

import json

import click
from flask.cli import AppGroup
from flask_babel import gettext as _
from app.cli.common import fail
from app.extensions import db

sla = AppGroup("sla", help="The SLA engine.")


@sla.command("sweep")
@click.option("--json", "as_json", is_flag=True, help='Print only {"warned": N, "breached": N, "escalated": N}.')
def sweep_command(as_json):
    """Warn, mark breaches and escalate what is due now (what the periodic job does every minute)."""
    from app.support.sla.sweep import sweep

    try:
        result = sweep()
        db.session.commit()
    except Exception as exc:  # whatever it was, the command reports it instead of a traceback
        db.session.rollback()
        fail(_("The SLA sweep failed: %(error)s", error=f"{exc.__class__.__name__}: {exc}"[:500]))
    if as_json:
        click.echo(json.dumps({key: result[key] for key in ("warned", "breached", "escalated")}))
    else:
        click.echo(_("warned %(w)d, breached %(b)d, escalated %(e)d",
                     w=result["warned"], b=result["breached"], e=result["escalated"]))


def register(app):
    app.cli.add_command(sla)
