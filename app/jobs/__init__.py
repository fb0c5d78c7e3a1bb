"""The background-job layer: `enqueue()`, RQ or in-process transport, the periodic schedule."""

import importlib

from app.jobs.core import enqueue, execute_job, job, retry_job, run_inline_jobs  # noqa: F401
from app.jobs.schedule import periodic

# Modules that define jobs; importing them registers the jobs by name.
JOB_MODULES = (
    "app.jobs.core",
    "app.mail",
    "app.support.jobs",
    "app.support.importing",
    "app.support.sla.config",
    "app.support.sla.jobs",
    "app.kb.jobs",
    "app.success.jobs",
    "app.success.health.jobs",
    "app.success.playbooks.jobs",
)

periodic("jobs.requeue_dropped", every=60, queue="high")


def load_job_modules():
    for module in JOB_MODULES:
        importlib.import_module(module)
