"""Server settings: environment (`SAFEGUARD_*`) or a TOML file, validated before anything starts.

A server that holds evidence about children must not come up with a guessable secret or a
half-understood configuration, so every check that can fail fails here, at start-up, with a
message naming the setting, never later inside a request.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

#: The secret a fresh checkout runs with; refused outside dev/demo mode.
DEV_SECRET = "dev-only-insecure-secret-do-not-use-in-production"
MIN_SECRET_CHARS = 32
CONFIG_ENV = "SAFEGUARD_CONFIG"

Mode = Literal["production", "dev", "demo"]


class SettingsError(ValueError):
    """A configuration the server refuses to start with."""


class Settings(BaseSettings):
    """Everything the server reads from its environment."""

    model_config = SettingsConfigDict(env_prefix="SAFEGUARD_", extra="forbid",
                                      validate_default=True)

    mode: Mode = "production"
    secret_key: SecretStr = SecretStr(DEV_SECRET)
    data_dir: Path = Path("var")
    database_url: str | None = None
    blob_dir: Path | None = None

    # Classifier: the newest shipped model unless told otherwise.
    keywords_only: bool = False
    model_dir: Path | None = None
    judge_threads: int | None = Field(default=None, ge=1, le=64)
    judge_batch_size: int = Field(default=32, ge=1, le=512)
    judge_batch_wait_ms: float = Field(default=5.0, ge=0, le=1000)

    max_screenshot_bytes: int = Field(default=5 * 1024 * 1024, ge=1024)
    max_image_pixels: int = Field(default=40_000_000, ge=10_000)

    # Staff sessions and login throttling.
    session_hours: float = Field(default=12, gt=0, le=24 * 30)
    cookie_secure: bool | None = None
    login_max_failures: int = Field(default=5, ge=1)
    login_lockout_minutes: float = Field(default=15, ge=0)

    # Alerts by email.
    public_url: str = "http://127.0.0.1:8000"
    smtp_host: str | None = None
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_from: str = "safeguard@localhost"
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = False
    smtp_timeout_s: float = Field(default=10, gt=0)

    # Background jobs (alerts retry, escalation, retention purge).
    jobs_enabled: bool = True
    jobs_interval_s: float = Field(default=60, gt=0)

    @classmethod
    def settings_customise_sources(cls, settings_cls: type[BaseSettings],
                                   init_settings: PydanticBaseSettingsSource,
                                   env_settings: PydanticBaseSettingsSource,
                                   dotenv_settings: PydanticBaseSettingsSource,
                                   file_secret_settings: PydanticBaseSettingsSource,
                                   ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Arguments beat the environment, which beats the TOML file named by SAFEGUARD_CONFIG."""
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        config_file = os.environ.get(CONFIG_ENV)
        if config_file:
            if not Path(config_file).is_file():
                raise SettingsError(f"{CONFIG_ENV}={config_file}: no such file")
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=config_file))
        return tuple(sources)

    @field_validator("public_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("public_url must start with http:// or https://")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Settings:
        if self.mode == "production":
            secret = self.secret_key.get_secret_value()
            if secret == DEV_SECRET:
                raise ValueError(
                    "SAFEGUARD_SECRET_KEY is the built-in development secret; set a random one "
                    "(python -c 'import secrets; print(secrets.token_urlsafe(48))') or run "
                    "with SAFEGUARD_MODE=dev / demo on a machine nobody else uses")
            if len(secret) < MIN_SECRET_CHARS:
                raise ValueError(f"SAFEGUARD_SECRET_KEY must be at least {MIN_SECRET_CHARS} "
                                 "characters")
        if self.smtp_password is not None and not self.smtp_username:
            raise ValueError("SAFEGUARD_SMTP_PASSWORD is set without SAFEGUARD_SMTP_USERNAME")
        return self

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'safeguard.db').resolve()}"

    @property
    def resolved_blob_dir(self) -> Path:
        return self.blob_dir or self.data_dir / "screenshots"

    @property
    def secure_cookies(self) -> bool:
        """Secure cookies in production; plain http on localhost is allowed in dev and demo."""
        return self.cookie_secure if self.cookie_secure is not None else self.mode == "production"


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment, with a readable error instead of a validation dump."""
    from pydantic import ValidationError

    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'settings'}: {err['msg']}"
            for err in exc.errors())
        raise SettingsError(f"invalid server settings: {problems}") from None
