"""Admins change a category's SLA and coordination unit in the console: new reports and coordinations
follow it, in this process at once and in other processes after their refresh job; every change is audited."""

import re
from datetime import timedelta

import pytest

from gateway.app import create_app
from gateway.jobs import refresh_category_settings
from gateway.workflow import escalate
from store.models import AuditLog, CategorySetting
from store.users import create_user
from tests.helpers import MONAS, OFFICER, count, new_report

PASSWORD = "kata-sandi-uji-123"


@pytest.fixture
def own_config(config):
    return config.model_copy(deep=True)  # its category settings change here, not the session's


def _app(own_config, units_db, wilayah, normalizer):
    return create_app(own_config, units_db, wilayah, environ={"LAPOR_SECRET_KEY": "k"}, normalizer=normalizer,
                      adapters={})


def _logged_in(app, username, role):
    create_user(app.extensions["lapor"].db, username=username, password=PASSWORD, role=role,
                unit_code="31.71.01.1001" if role == "officer" else None)
    client = app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/console/login").get_data(as_text=True)).group(1)
    assert client.post("/console/login", data={"username": username, "password": PASSWORD, "csrf_token": token}).status_code == 302
    return client, token


def test_a_changed_sla_and_coordination_unit_apply_to_new_reports_and_are_audited(own_config, units_db, wilayah, normalizer):
    app = _app(own_config, units_db, wilayah, normalizer)
    client, token = _logged_in(app, "admin", "admin")
    assert own_config.category("jalan").sla_hours == 72 and own_config.category("jalan").escalate_to == "DINAS-BINA-MARGA"
    response = client.post("/console/admin/categories/jalan", data={"sla_hours": "5", "escalate_to": "DINAS-SDA",
                                                                    "csrf_token": token})
    assert response.status_code == 303
    report = new_report(units_db, own_config, wilayah, category="jalan", where=MONAS)
    assert abs((report.sla_due_at - report.created_at) - timedelta(hours=5)) < timedelta(seconds=5)
    assert escalate(units_db, own_config, report.ticket, OFFICER).assigned_unit.code == "DINAS-SDA"
    with units_db.transaction() as session:
        entry = session.query(AuditLog).filter_by(action="category_changed").one()
        assert (entry.actor_id, entry.target_id) == ("console:admin", "jalan")
        assert entry.detail == {"before": {"sla_hours": 72.0, "escalate_to": "DINAS-BINA-MARGA"},
                                "after": {"sla_hours": 5.0, "escalate_to": "DINAS-SDA"}}
    page = client.get("/console/admin/categories").get_data(as_text=True)
    assert 'value="5.0"' in page and "72.0 h · DINAS-BINA-MARGA" in page, "the page shows the change and the default"


def test_another_process_picks_the_change_up_on_its_refresh(own_config, config, units_db, wilayah, normalizer):
    app = _app(own_config, units_db, wilayah, normalizer)
    client, token = _logged_in(app, "admin", "admin")
    other_config = config.model_copy(deep=True)
    other = _app(other_config, units_db, wilayah, normalizer)  # a second gateway process on the same store
    client.post("/console/admin/categories/sampah", data={"sla_hours": "12,5", "escalate_to": "DINAS-LH", "csrf_token": token})
    assert other_config.category("sampah").sla_hours == 48  # not yet
    refresh_category_settings(other.extensions["lapor"])
    assert other_config.category("sampah").sla_hours == 12.5
    assert config.category("sampah").sla_hours == 48, "the configuration file's values stay the defaults"


@pytest.mark.parametrize("form", [{"sla_hours": "0", "escalate_to": "DINAS-SDA"}, {"sla_hours": "abc", "escalate_to": "DINAS-SDA"},
                                  {"sla_hours": "5", "escalate_to": "31.71.01.1001"}, {"sla_hours": "5"}])
def test_bad_values_are_refused_and_nothing_is_kept(own_config, units_db, wilayah, normalizer, form):
    app = _app(own_config, units_db, wilayah, normalizer)
    client, token = _logged_in(app, "admin", "admin")
    response = client.post("/console/admin/categories/jalan", data={**form, "csrf_token": token}, follow_redirects=True)
    assert "Tidak disimpan" in response.get_data(as_text=True)
    assert count(units_db, CategorySetting) == 0 and count(units_db, AuditLog) == 0
    assert client.post("/console/admin/categories/nope", data={"sla_hours": "5", "escalate_to": "DINAS-SDA",
                                                               "csrf_token": token}).status_code == 404


@pytest.mark.parametrize("role", ["triage", "officer", "verifier"])
def test_only_admins_change_categories(own_config, units_db, wilayah, normalizer, role):
    app = _app(own_config, units_db, wilayah, normalizer)
    client, token = _logged_in(app, f"user.{role}", role)
    response = client.post("/console/admin/categories/jalan", data={"sla_hours": "5", "escalate_to": "DINAS-SDA",
                                                                    "csrf_token": token})
    assert response.status_code == 403 and count(units_db, CategorySetting) == 0


def test_the_categories_page_shows_where_each_categorys_emergencies_go(own_config, units_db, wilayah, normalizer):
    client, _ = _logged_in(_app(own_config, units_db, wilayah, normalizer), "admin", "admin")
    html = client.get("/console/admin/categories").get_data(as_text=True)
    flood = html[html.index('data-code="banjir"'):]
    assert "Darurat langsung ke: Badan Penanggulangan Bencana Daerah" in flood[:flood.index("</tr>")]
    fire = html[html.index('data-code="kebakaran"'):]
    assert "Darurat langsung ke: Dinas Penanggulangan Kebakaran dan Penyelamatan" in fire[:fire.index("</tr>")]
