"""Scheduled work inside `run.py serve`: the worker, every half second and at once when a webhook
stores a message (APScheduler 3: one scheduler per deployment — `run.py worker` processes run
without it)."""

from __future__ import annotations

import logging

from apscheduler.schedulers.background import BackgroundScheduler
from flask import Flask

from gateway.worker import Worker
from store.types import utcnow

log = logging.getLogger(__name__)
JOB_ID = "worker"
_workers: dict[int, Worker] = {}


def run_worker(app_id: int) -> None:
    """Module-level so the job is importable, as APScheduler wants."""
    worker = _workers[app_id]
    while worker.run_once():
        pass


def start_scheduler(app: Flask, interval_s: float = 0.5) -> BackgroundScheduler:
    services = app.extensions["lapor"]
    _workers[id(app)] = Worker(services, services.adapters)
    scheduler = BackgroundScheduler(timezone="UTC")
    scheduler.add_job(run_worker, "interval", args=[id(app)], id=JOB_ID, seconds=interval_s,
                      max_instances=1, coalesce=True, next_run_time=utcnow())
    scheduler.start()

    def wake() -> None:
        try:
            scheduler.modify_job(JOB_ID, next_run_time=utcnow())
        except Exception:  # the scheduler is shutting down: the interval picks the message up
            log.debug("could not wake the worker")

    app.extensions["lapor.wake"] = wake
    return scheduler
