"""SLA background work: the periodic sweep and the clocks of imported tickets."""

import logging

from app.jobs import job, periodic
from app.support.importing import after_import
from app.support.sla.services import start_clocks_from_history
from app.support.sla.sweep import sweep

log = logging.getLogger(__name__)


@job("sla.sweep", queue="high")
def sla_sweep_job():
    """Periodic: warnings, breaches and escalations due now (the runner commits)."""
    result = sweep()
    if any(result.values()):
        log.info("SLA sweep: %s", result)
    return result


periodic("sla.sweep", every=60, queue="high")


@after_import
def start_imported_clocks(ticket_ids, now):
    """Imported (and seeded) tickets get their clocks from their history; those already past due
    are breached quietly, without escalation."""
    start_clocks_from_history(ticket_ids, now)
