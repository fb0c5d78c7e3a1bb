"""Helpers shared by the commands."""

import logging
import sys

import click
from flask_babel import gettext as _

log = logging.getLogger(__name__)


def fail(message, code=1):
    """Print `message` on standard error and exit with `code`."""
    click.echo(message, err=True)
    sys.exit(code)


def import_all_or_nothing(run, what):
    """Run an all-or-nothing CSV import and commit it; on bad rows print `line N: reason` and exit 1."""
    from app.extensions import db
    from app.support.importing import MAX_REPORTED_ERRORS, CsvImportError, format_error

    try:
        result = run()
        db.session.commit()
        return result
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
        log.exception("%s import failed", what)
        fail(_("The import failed and nothing was imported: %(error)s", error=exc))
