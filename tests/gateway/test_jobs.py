"""The scheduler inside `run.py serve`: which jobs run, at the intervals config.yaml gives."""

import threading

import pytest

from bots.base import Capabilities
from gateway import jobs
from gateway.handover import ParsedHandover


class Channel:
    def __init__(self, name, public=False, polling=False):
        self.channel, self.capabilities, self.polling = name, Capabilities(public=public), polling


@pytest.fixture
def started(app, monkeypatch):
    watched = {}

    def watch(services, stop, on_stored, interval):
        watched.update(interval=interval, stop=stop)
        started.set()
        stop.wait(5)

    started = threading.Event()
    watched["started"] = started

    monkeypatch.setattr(jobs, "watch_mailbox", watch)
    app.extensions["lapor"].adapters.update(email=Channel("email"), x=Channel("x", public=True, polling=True))
    schedulers = []

    def start(**options):
        scheduler = jobs.start_scheduler(app, **options)
        schedulers.append(scheduler)
        return scheduler

    yield start, watched
    for scheduler in schedulers:
        scheduler.shutdown(wait=True)  # no job may still use the store when the test's database goes
    if "stop" in watched:
        watched["stop"].set()


def test_every_job_runs_at_its_configured_interval(started, config, app):
    start, watched = started
    scheduler = start()
    intervals = {job.id: job.trigger.interval.total_seconds() for job in scheduler.get_jobs()}
    every = config.schedule
    assert intervals == {"worker": every.worker, "reminders": every.reminders, "notifications": every.notifications,
                         "cases": every.cases, "poll:x": every.polling["x"], "category-settings": every.cases}
    assert watched["started"].wait(5), "the mailbox watcher runs in its own thread"
    assert isinstance(app.extensions["lapor.handover"], ParsedHandover), "webhooks hand their parse over"
    assert watched["interval"] == every.mailbox and isinstance(watched["stop"], threading.Event)


def test_web_only_processes_leave_the_worker_to_run_py_worker(started, app):
    start, _ = started
    scheduler = start(with_worker=False)
    assert "worker" not in {job.id for job in scheduler.get_jobs()} and "notifications" in {j.id for j in scheduler.get_jobs()}
    assert "lapor.wake" not in app.extensions and "lapor.handover" not in app.extensions, "no worker to hand to"


def test_providers_that_take_it_by_api_are_told_the_one_webhook_route(app):
    told = []

    class Registering(Channel):
        def set_webhook(self, url):
            told.append((self.channel, url))

    class Down(Channel):
        def set_webhook(self, url):
            raise OSError("unreachable")

    services = app.extensions["lapor"]
    services.adapters.update(telegram=Registering("telegram"), polled=Registering("polled", polling=True),
                             other=Down("other"), sms=Channel("sms"))
    jobs.register_webhooks(services)
    assert told == [("telegram", f"{services.config.server.base_url}/webhooks/telegram")], \
        "a polled channel is not registered, one that is down does not stop the rest"
