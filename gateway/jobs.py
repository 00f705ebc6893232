"""Scheduled work inside `run.py serve` (APScheduler 3), timed by `schedule` in config.yaml: the
worker (inbox and outbox; webhooks also wake it at once), reminders of abandoned drafts, status
notifications, and the polled channels (gateway/polling.py). Every job is safe in several processes: claims skip locked rows,
cursors are locked while they move, and outbox keys make a repeated message a no-op. With
`serve --no-worker` the worker job is left to `run.py worker` processes and the rest still runs.
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from flask import Flask

from gateway.cases import forward_cases, watch_deadlines
from gateway.mailbox import watch_mailbox
from gateway.notifications import remind_to_rate, tell_followers
from gateway.polling import poll_channel, polled_channels
from gateway.worker import Worker
from store.types import utcnow

log = logging.getLogger(__name__)
JOB_ID = "worker"


class WorkerRuns:
    """The in-process worker's runs, woken by each webhook: a wake-up starts a run only when none is going, and a
    run goes round again when woken meanwhile, so a busy worker is not sent one refused run (and a warning in the
    log) per webhook. Whether a run ends and whether a wake-up needs a run are decided under one lock: no wake-up
    is lost between them."""

    def __init__(self):
        self._lock = threading.Lock()
        self._running = 0
        self._again = False

    def run(self, worker: Worker) -> None:
        with self._lock:
            self._running += 1
        try:
            while True:
                with self._lock:
                    self._again = False
                moved = worker.run_once()
                with self._lock:
                    if not moved and not self._again:
                        self._running -= 1
                        return
        except BaseException:
            with self._lock:
                self._running -= 1
            raise

    def wake(self) -> bool:
        """A message landed: True when a run must be started for it (none is going)."""
        with self._lock:
            self._again = True
            return self._running == 0


RUNS = WorkerRuns()


def run_worker(worker: Worker) -> None:
    RUNS.run(worker)


def run_reminders(worker: Worker) -> None:
    remind_and_expire(worker.services)


def run_notifications(worker: Worker, with_worker: bool) -> None:
    told = tell_followers(worker.services) + remind_to_rate(worker.services)
    if told and with_worker:
        run_worker(worker)


def run_cases(worker: Worker, with_worker: bool) -> None:
    forwarded = forward_cases(worker.services)
    reminded, escalated = watch_deadlines(worker.services)
    if (forwarded or reminded or escalated) and with_worker:
        run_worker(worker)


def run_poller(worker: Worker, channel: str, with_worker: bool) -> None:
    if poll_channel(worker.services, channel) and with_worker:
        run_worker(worker)


def refresh_category_settings(services) -> None:
    """What admins changed in the console, made in another process: category settings and unit contact points."""
    services.refresh_console_settings()


def register_webhooks(services) -> None:
    """Tell each provider that takes it by API where to post (Telegram's setWebhook, with its secret): the one route,
    `/webhooks/<channel>`. Others are given that address in their own console (Twilio, Meta)."""
    for channel, adapter in services.adapters.items():
        if not hasattr(adapter, "set_webhook") or getattr(adapter, "polling", False):
            continue
        try:
            adapter.set_webhook(f"{services.config.server.base_url}/webhooks/{channel}")
        except Exception:  # the provider unreachable at start: its messages wait on its side until it is set
            log.exception("could not set the %s webhook", channel)


def start_scheduler(app: Flask, telegram_polling: bool = False, with_worker: bool = True) -> BackgroundScheduler:
    services = app.extensions["lapor"]
    every = services.config.schedule
    worker = Worker(services, services.adapters)  # jobs live in memory, so they may take the worker itself
    scheduler = BackgroundScheduler(timezone="UTC")
    if with_worker:
        # Several runs may overlap when there is a backlog: claims skip rows another run holds, and a
        # sender's messages still go one at a time (store.inbox.claim_inbound).
        scheduler.add_job(run_worker, "interval", args=[worker], id=JOB_ID, seconds=every.worker,
                          max_instances=services.config.server.worker_threads, coalesce=True, next_run_time=utcnow())
    if telegram_polling and "telegram" in services.adapters:
        services.adapters["telegram"].start_polling()
    if services.config.server.public_base_url:
        register_webhooks(services)
    scheduler.add_job(run_reminders, "interval", args=[worker], id="reminders", seconds=every.reminders,
                      max_instances=1, coalesce=True)
    scheduler.add_job(run_notifications, "interval", args=[worker, with_worker], id="notifications",
                      seconds=every.notifications, max_instances=1, coalesce=True)
    scheduler.add_job(run_cases, "interval", args=[worker, with_worker], id="cases", seconds=every.cases,
                      max_instances=1, coalesce=True)
    scheduler.add_job(refresh_category_settings, "interval", args=[services], id="category-settings",
                      seconds=every.cases, max_instances=1, coalesce=True)  # an admin's change, made in another process
    for channel in polled_channels(services):  # one job, run for each polled channel at its own interval
        scheduler.add_job(run_poller, "interval", args=[worker, channel, with_worker], id=f"poll:{channel}",
                          seconds=every.polling.get(channel, every.polling_default), max_instances=1, coalesce=True,
                          next_run_time=utcnow())
    scheduler.start()
    if "email" in services.adapters:  # IDLE where the server offers it, else a poll every `schedule.mailbox`
        stop = threading.Event()
        app.extensions["lapor.mailbox_stop"] = stop
        threading.Thread(target=watch_mailbox, name="mailbox", daemon=True, kwargs={
            "services": services, "stop": stop, "interval": every.mailbox,
            "on_stored": lambda: app.extensions.get("lapor.wake", lambda: None)()}).start()
    if not with_worker:
        return scheduler

    def wake() -> None:
        if not RUNS.wake():
            return  # the running worker goes round again for it
        try:
            scheduler.modify_job(JOB_ID, next_run_time=utcnow())
        except Exception:  # the scheduler is shutting down: the interval picks the message up
            log.debug("could not wake the worker")

    app.extensions["lapor.wake"] = wake
    app.extensions["lapor.handover"] = worker.handover
    return scheduler


def remind_and_expire(services, now=None) -> tuple[int, int]:
    """Unfinished drafts: one reminder after `reminder_after_minutes`, dropped after `expire_after_minutes`."""
    from gateway.conversation import State
    from store.conversations import save_conversation, stale_conversations
    from store.outbox import queue_outbound

    settings, config = services.config.conversation, services.config
    now = now or utcnow()
    reminded = expired = 0
    with services.db.transaction() as session:
        for conversation in stale_conversations(session, now - timedelta(minutes=settings.reminder_after_minutes)):
            state = State.from_dict(conversation.state)
            contact = conversation.contact
            if state.draft is None or contact is None or contact.stopped_at is not None:
                continue
            idle = now - conversation.updated_at
            if idle >= timedelta(minutes=settings.expire_after_minutes):
                key, state.draft, state.awaiting = "expired", None, None
                expired += 1
            elif not state.reminded:
                key, state.reminded = "reminder", True
                reminded += 1
            else:
                continue
            template = config.template(conversation.channel, key, state.language)  # an expiry comes 24 h on
            queue_outbound(
                session, channel=conversation.channel, recipient=contact.address, contact_id=contact.id,
                body=config.message(key, state.language),
                idempotency_key=f"{key}:{conversation.id}:{conversation.updated_at.isoformat()}",
                extras={"template": template} if template else None,
            )
            # a reminder does not restart the clock; an expiry does
            save_conversation(session, conversation, state.to_dict(), turn=key != "reminder")
    return reminded, expired
