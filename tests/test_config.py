"""Configuration is validated at start-up; a mistake stops the process with one clear line."""

import subprocess
import sys

import pytest
import yaml

from gateway.config import ConfigError, load_config
from tests.conftest import ROOT


@pytest.fixture
def write_config(tmp_path):
    base = yaml.safe_load((ROOT / "config.yaml").read_text())

    def write(change):
        document = yaml.safe_load(yaml.safe_dump(base))
        change(document)
        path = tmp_path / "config.yaml"
        path.write_text(yaml.safe_dump(document, allow_unicode=True))
        return path

    return write


def test_the_shipped_config_is_valid_and_complete(config):
    assert config.city.jurisdiction_id == "jakarta.go.id"
    assert {"jalan", "pohon", "sampah", "banjir", "parkir_liar", "kebakaran", "lainnya"} <= {c.code for c in config.categories}
    assert config.statuses["menunggu"].colour == "red" and config.statuses["selesai"].colour == "green"
    assert config.statuses["koordinasi"].colour == "purple" and config.statuses["disposisi"].colour == "blue"
    assert config.statuses["ditangani"].colour == "yellow"


def test_environment_overrides(tmp_path):
    config = load_config(
        ROOT / "config.yaml",
        environ={"DATABASE_URL": "postgresql://db/lapor", "PUBLIC_BASE_URL": "https://lapor.example", "PORT": "9000"},
    )
    assert config.storage.database_url == "postgresql://db/lapor"
    assert config.server.public_base_url == "https://lapor.example"
    assert config.server.port == 9000
    assert load_config(ROOT / "config.yaml", environ={"PORT": "9001"}).server.base_url == "http://127.0.0.1:9001"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["categories"][0].update(sla_hours=-1), "categories.0.sla_hours: Input should be greater than 0"),
        (lambda d: d["categories"][2].update(escalate_to="DINAS-UFO"), "categories.2.escalate_to: 'DINAS-UFO' is not a service unit"),
        (lambda d: d["server"].update(prot=8080), "server.prot: unknown setting (check the spelling)"),
        (lambda d: d["city"].update(timezone="Asia/Jakartaa"), "city.timezone: unknown time zone 'Asia/Jakartaa'"),
        (lambda d: d.pop("lifecycle"), "lifecycle: Field required"),
        (lambda d: d["statuses"].pop("selesai"), "missing ['selesai']"),
        (lambda d: d["categories"].append(dict(d["categories"][0])), "categories: code 'jalan' appears twice"),
        (lambda d: d["server"].update(public_base_url="lapor.example"), "server.public_base_url: String should match pattern"),
        (lambda d: d["channels"]["whatsapp"]["templates"].update(status_gone={"name": "x"}),
         "channels.whatsapp.templates.status_gone: no message of that name"),
        (lambda d: d["channels"]["whatsapp"]["templates"]["status_changed"].update(parameters=["ticket", "tiket"]),
         "channels.whatsapp.templates.status_changed.parameters: ['tiket'] are not placeholders of the message"),
    ],
    ids=["negative-sla", "unknown-unit", "typo", "timezone", "missing-section", "missing-status", "repeated-code", "bad-url",
         "template-of-no-message", "template-parameter-unknown"],
)
def test_a_wrong_value_names_the_key_and_the_problem(write_config, change, message):
    path = write_config(change)
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ={})
    text = str(caught.value)
    assert message in text and "\n" not in text


def test_missing_file_bad_yaml_and_bad_port(tmp_path):
    with pytest.raises(ConfigError, match="file not found"):
        load_config(tmp_path / "nope.yaml", environ={})
    broken = tmp_path / "broken.yaml"
    broken.write_text("city: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(broken, environ={})
    with pytest.raises(ConfigError, match="PORT: must be a port number, got 'http'"):
        load_config(ROOT / "config.yaml", environ={"PORT": "http"})


@pytest.mark.slow  # a process of its own
def test_the_process_stops_with_one_line_not_a_traceback(write_config, tmp_path):
    path = write_config(lambda d: d["categories"][0].update(sla_hours="soon"))
    result = subprocess.run(
        [sys.executable, str(ROOT / "run.py"), "--config", str(path), "init-db"],
        capture_output=True, text=True, cwd=tmp_path, timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"configuration error: {path}: categories.0.sla_hours: Input should be a valid number, unable to parse string as a number"
    ]
    assert not (tmp_path / "var").exists(), "nothing was created"


@pytest.mark.slow  # a process of its own
def test_a_bad_data_key_stops_the_process(tmp_path):
    result = subprocess.run(
        [sys.executable, str(ROOT / "run.py"), "--config", str(ROOT / "config.yaml"), "init-db"],
        capture_output=True, text=True, cwd=tmp_path, timeout=60,
        env={"PATH": "/usr/bin:/bin", "LAPOR_DATA_KEY": "not-a-key"},
    )
    assert result.returncode == 2
    assert result.stderr.strip() == "configuration error: the data key must be a Fernet key: 32 url-safe base64-encoded bytes"


def test_an_older_config_still_loads_and_polling_keeps_the_defaults_it_does_not_name(write_config):
    def older(document):
        schedule = document["schedule"]
        schedule.pop("polling")
        schedule["mentions"] = 45  # the key before the one polling job
    assert load_config(write_config(older), environ={}).schedule.polling == {"x": 45, "telegram": 1}
    partial = load_config(write_config(lambda d: d["schedule"].update(polling={"x": 30})), environ={})
    assert partial.schedule.polling == {"x": 30, "telegram": 1}, "Telegram keeps its one second"


def test_a_template_takes_the_providers_code_and_name_for_the_citizens_language(write_config):
    def per_language(document):
        document["channels"]["twilio_whatsapp"]["templates"] = {"rating_reminder": {
            "name": "HX-id", "parameters": ["ticket"], "names": {"en": "HX-en"}, "codes": {"en": "en_US"}}}
    config = load_config(write_config(per_language), environ={})
    assert config.template("twilio_whatsapp", "rating_reminder", "en", ticket="JKT-1") == {
        "name": "HX-en", "language": "en_US", "parameters": ["JKT-1"]}
    assert config.template("twilio_whatsapp", "rating_reminder", "id", ticket="JKT-1") == {
        "name": "HX-id", "language": "id", "parameters": ["JKT-1"]}
    assert config.template("sms", "rating_reminder", "id", ticket="JKT-1") is None, "SMS sends the text"
