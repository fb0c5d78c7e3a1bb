"""Command-line interface (`flask --app wsgi …`): thin commands over the services.

Errors print a message on standard error and exit 1 (usage errors: 2); commands with `--json`
print only JSON on standard output.
"""

import importlib

COMMAND_MODULES = (
    "app.cli.users",
    "app.cli.tickets",
    "app.cli.seed",
    "app.cli.jobs",
    "app.cli.sla",
    "app.cli.kb",
    "app.cli.success",
)


def register(app):
    for name in COMMAND_MODULES:
        module = importlib.import_module(name)
        module.register(app)
