"""`flask tickets …`: bulk work on tickets."""

import json
import logging

import click
from flask.cli import AppGroup
from flask_babel import gettext as _

from app.cli.common import fail
from app.extensions import db
from app.models.base import utcnow

log = logging.getLogger(__name__)

tickets = AppGroup("tickets", help="Import tickets.")


@tickets.command("import")
@click.argument("file", type=click.File("rb"))
@click.option("--json", "as_json", is_flag=True, help='Print only {"imported": N, "ids": [...]}.')
def import_command(file, as_json):
    """Import tickets from a CSV file (UTF-8, first line a header; '-' reads standard input).

    Columns: subject, body, requester_email, organization, created_at, priority, language; only
    body is required. created_at is an ISO 8601 date or time (without a time zone: UTC) and may not
    be in the future; priority is low, normal (default), high or urgent; language a code such as
    en, ru or zh-Hant. Requesters new to Tandem become customers without a password. An
    organization must already exist (create it on the admin page first): imports never create
    organizations, so a typo cannot add a phantom account. Imported tickets are new, on the "api"
    channel, and send no e-mail.

    All or nothing: any bad row stops the import with "line N: reason" and nothing is written. The
    header is line 1 and each CSV row is one line, even when a quoted field spans several. A file
    with only a header imports nothing and succeeds.
    """
    from app.support.importing import (
        MAX_REPORTED_ERRORS, CsvImportError, format_error, import_tickets, parse_ticket_csv,
    )

    now = utcnow()
    try:
        rows = parse_ticket_csv(file.read(), now=now)
        ids = import_tickets(rows, now=now)
        db.session.commit()
    except CsvImportError as exc:
        db.session.rollback()
        for line, reason in exc.errors[:MAX_REPORTED_ERRORS]:
            click.echo(format_error(line, reason), err=True)
        hidden = len(exc.errors) - MAX_REPORTED_ERRORS
        if hidden > 0:
            click.echo(_("… and %(n)d more bad lines.", n=hidden), err=True)
        fail(_("Nothing was imported."))
    except Exception as exc:  # a database error mid-way: the transaction is undone as a whole
        db.session.rollback()
        log.exception("ticket import failed")
        fail(_("The import failed and nothing was imported: %(error)s", error=exc))
    if as_json:
        click.echo(json.dumps({"imported": len(ids), "ids": ids}))
    else:
        click.echo(f"imported {len(ids)}")


def register(app):
    app.cli.add_command(tickets)
