"""The console's session secret: from the environment, else a development key made once and kept private."""

import stat

from gateway.app import create_app


def console_app(config, units_db, wilayah, normalizer, secret_file, environ=None):
    local = config.model_copy(update={"console": config.console.model_copy(update={"dev_secret_file": secret_file})})
    return create_app(local, units_db, wilayah, environ=environ or {}, normalizer=normalizer, adapters={})


def test_the_secret_comes_from_the_environment_when_set(config, units_db, wilayah, normalizer, tmp_path):
    secret_file = tmp_path / "var" / "secret.key"
    app = console_app(config, units_db, wilayah, normalizer, secret_file, {"LAPOR_SECRET_KEY": "  from-env  "})
    assert app.secret_key == "from-env" and not secret_file.exists()


def test_without_one_a_development_key_is_made_once_readable_only_by_its_owner(config, units_db, wilayah, normalizer,
                                                                                tmp_path):
    secret_file = tmp_path / "var" / "secret.key"
    first = console_app(config, units_db, wilayah, normalizer, secret_file).secret_key
    assert len(first) >= 48 and secret_file.read_text().strip() == first
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    again = console_app(config, units_db, wilayah, normalizer, secret_file).secret_key
    assert again == first, "a restart keeps the sessions' key"
