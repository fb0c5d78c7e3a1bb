"""`flask tickets …`: bulk work on tickets."""

import json

import click
from flask.cli import AppGroup

from app.cli.common import import_all_or_nothing
from app.models.base import utcnow


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
    from app.support.importing import import_tickets, parse_ticket_csv

    now = utcnow()
    ids = import_all_or_nothing(lambda: import_tickets(parse_ticket_csv(file.read(), now=now), now=now), "ticket")
    if as_json:
        click.echo(json.dumps({"imported": len(ids), "ids": ids}))
    else:
        click.echo(f"imported {len(ids)}")


def register(app):
    app.cli.add_command(tickets)
