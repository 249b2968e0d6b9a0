"""Start-up refuses configurations that would be unsafe with children's data."""
from __future__ import annotations

import pytest

from api.settings import DEV_SECRET, SettingsError, load_settings

STRONG = "s" * 20 + "0123456789abcdefghij"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    for name in ("SAFEGUARD_MODE", "SAFEGUARD_SECRET_KEY", "SAFEGUARD_CONFIG"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize("overrides,reason", [
    ({}, "built-in development secret"),
    ({"secret_key": DEV_SECRET}, "built-in development secret"),
    ({"secret_key": "short"}, "at least 32"),
    ({"secret_key": STRONG, "smtp_password": "x"}, "SMTP_USERNAME"),
    ({"secret_key": STRONG, "public_url": "ftp://x"}, "public_url"),
    ({"secret_key": STRONG, "mode": "yolo"}, "mode"),
    ({"secret_key": STRONG, "judge_batch_size": 0}, "judge_batch_size"),
])
def test_production_refuses_unsafe_settings(overrides, reason):
    with pytest.raises(SettingsError, match=reason):
        load_settings(**overrides)


@pytest.mark.parametrize("mode", ["dev", "demo"])
def test_dev_and_demo_modes_run_with_the_default_secret(mode):
    settings = load_settings(mode=mode)
    assert settings.secure_cookies is False


def test_production_with_a_real_secret_starts_with_secure_cookies():
    settings = load_settings(secret_key=STRONG)
    assert settings.secure_cookies is True and settings.keywords_only is False


def test_environment_and_toml_file(monkeypatch, tmp_path):
    config = tmp_path / "server.toml"
    config.write_text(f'secret_key = "{STRONG}"\nsmtp_host = "mail.trust.example"\n'
                      'retention = 3\n')
    monkeypatch.setenv("SAFEGUARD_CONFIG", str(config))
    with pytest.raises(SettingsError, match="retention"):  # unknown keys are typos, refused
        load_settings()
    config.write_text(f'secret_key = "{STRONG}"\nsmtp_host = "mail.trust.example"\n')
    monkeypatch.setenv("SAFEGUARD_SMTP_HOST", "relay.local")
    settings = load_settings()
    assert settings.smtp_host == "relay.local"  # the environment beats the file
    assert settings.secret_key.get_secret_value() == STRONG


def test_a_missing_config_file_is_an_error(monkeypatch, tmp_path):
    monkeypatch.setenv("SAFEGUARD_CONFIG", str(tmp_path / "nope.toml"))
    with pytest.raises(SettingsError, match="no such file"):
        load_settings()


def test_secrets_do_not_show_in_repr():
    settings = load_settings(secret_key=STRONG, smtp_username="u", smtp_password="hunter2-pw")
    assert STRONG not in repr(settings) and "hunter2-pw" not in repr(settings)
