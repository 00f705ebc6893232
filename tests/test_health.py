"""Operators' endpoints: liveness and Prometheus metrics."""

import pytest
from cryptography.fernet import Fernet
from prometheus_client.parser import text_string_to_metric_families

from gateway.app import create_app
from store import Database
from store.crypto import Keyring
from store.models import InboundMessage
from tests.helpers import new_report


def samples(client):
    response = client.get("/metrics")
    assert response.status_code == 200 and response.content_type.startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.data.decode())
        for sample in family.samples
    }


def test_healthz_answers_when_the_database_is_up(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json == {"status": "ok", "database": "ok"}


def test_healthz_is_503_and_metrics_still_answer_when_the_database_is_down(config, wilayah, tmp_path):
    unreachable = Database("postgresql://nobody@127.0.0.1:1/none?connect_timeout=2", Keyring(Fernet.generate_key()), tmp_path)
    client = create_app(config, unreachable, wilayah, environ={}).test_client()
    response = client.get("/healthz")
    assert response.status_code == 503 and response.json["database"] == "unreachable"
    assert samples(client)[("lapor_store_up", ())] == 0


def test_metrics_count_reports_messages_and_errors(client, units_db, config, wilayah):
    new_report(units_db, config, wilayah)
    new_report(units_db, config, wilayah, category="kebakaran")
    with units_db.transaction() as session:
        session.add_all(
            InboundMessage(channel="telegram", provider_message_id=str(n), payload={"update_id": n}) for n in range(3)
        )
    client.get("/open311/v2/requests/JKT-0000-00000.json")
    values = samples(client)
    assert values[("lapor_store_up", ())] == 1
    assert values[("lapor_reports", (("priority", "normal"), ("status", "menunggu")))] == 1
    assert values[("lapor_reports", (("priority", "darurat"), ("status", "menunggu")))] == 1
    assert values[("lapor_messages_received_total", (("channel", "telegram"),))] == 3
    assert values[("lapor_http_errors_total", (("status", "404"),))] == 1


@pytest.mark.parametrize("path", ["/nothing", "/healthz/x"])
def test_unknown_pages_are_json_404(client, path):
    response = client.get(path)
    assert response.status_code == 404 and response.json["error"]["status"] == 404
