"""Settings from the environment and a ``.env`` file, all prefixed ``TUMBUH_``.

A missing or malformed setting stops the program at start with one line naming it.
"""

from __future__ import annotations

import sys
from typing import Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

TELEGRAM_API = "https://api.telegram.org"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="TUMBUH_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    database_url: str = "sqlite:///tumbuh.db"
    telegram_token: str | None = None
    telegram_api_url: str = TELEGRAM_API
    runtime: Literal["ptb", "aiogram"] = "ptb"
    locale: Literal["id", "en"] = "id"
    # The bot's @username for deep links when no runtime has told the database yet.
    bot_username: str | None = None
    concurrency: int = Field(32, ge=1, le=256)
    telegram_rate: float = Field(25.0, gt=0, le=1000)
    # Days from a worrying measurement to the kader's re-check reminder (FollowUp.recheck_on).
    followup_days: int = Field(30, ge=1, le=365)
    # Growth charts with measurement results; off sends the text alone (slow connections).
    charts: bool = True
    invite_days: int = Field(14, ge=1, le=365)
    session_hours: int = Field(24, ge=1, le=24 * 30)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    @field_validator("telegram_api_url")
    @classmethod
    def _url(cls, value: str) -> str:
        value = value.rstrip("/")
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value

    @field_validator("telegram_token")
    @classmethod
    def _token(cls, value: str | None) -> str | None:
        if value is not None and (":" not in value or not value.split(":", 1)[0].isdigit()):
            raise ValueError("does not look like a Bot API token (digits:letters)")
        return value or None

    @field_validator("database_url")
    @classmethod
    def _database(cls, value: str) -> str:
        if not value.startswith(("sqlite", "postgresql", "postgres")):
            raise ValueError("must be a sqlite:/// or postgresql:// URL")
        return value


def load_settings(**overrides) -> Settings:
    """Settings, or exit with one line that names the bad setting."""
    try:
        return Settings(**overrides)
    except ValidationError as error:
        first = error.errors()[0]
        name = "TUMBUH_" + str(first["loc"][0]).upper() if first["loc"] else "settings"
        print(f"tumbuh: setting {name} is invalid: {first['msg']}", file=sys.stderr)
        raise SystemExit(2) from None
