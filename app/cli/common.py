"""Helpers shared by the commands."""

import sys

import click


def fail(message, code=1):
    """Print `message` on standard error and exit with `code`."""
    click.echo(message, err=True)
    sys.exit(code)
