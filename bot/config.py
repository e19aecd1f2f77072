"""Settings from the environment, a ``.env`` file, or secret files (pydantic-settings).

Platform variables keep their platforms' usual names (``DISCORD_TOKEN``,
``SLACK_BOT_TOKEN`` …); paperbot's own settings use the ``PAPERBOT_`` prefix.

Every setting is checked when paperbot starts: a bad one stops it with one line naming
the variable and what is wrong (:func:`load_settings`, exit status 2), rather than failing
later in the middle of a command or a delivery.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from platformdirs import user_data_dir
from pydantic import AliasChoices, Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.errors import ConfigError
from bot.i18n import LANGUAGES, language_of

__all__ = ["ConfigError", "Settings", "default_db_path", "load_settings"]

#: more than any bot this project is for needs (Discord asks for a shard per 2,500 servers)
MAX_SHARDS = 1024
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_ID = re.compile(r"[A-Za-z0-9_.:-]+")


def default_db_path() -> Path:
    return Path(user_data_dir("paperbot", appauthor=False)) / "paperbot.db"


def check_zone(name: str) -> str:
    """``name`` if it is a known IANA time zone, else ``ValueError`` saying so."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r} (expected an IANA name such as Asia/Seoul or UTC)") from None
    return name


def _check_url(value: str, schemes: tuple[str, ...]) -> str:
    parts = urlsplit(value.strip())
    if parts.scheme not in schemes or not parts.hostname:
        raise ValueError(f"not a URL: {value!r} (expected {' or '.join(s + '://…' for s in schemes)})")
    return value.strip()


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    db: Path = Field(default_factory=default_db_path, validation_alias="PAPERBOT_DB")
    timezone: str = Field("Asia/Seoul", validation_alias="PAPERBOT_TIMEZONE")
    #: what the bot speaks where no channel or user language says otherwise: en or ko
    language: str = Field("en", validation_alias="PAPERBOT_LANGUAGE")
    host: str = Field("127.0.0.1", validation_alias="PAPERBOT_HOST")
    port: int = Field(3000, validation_alias="PAPERBOT_PORT")
    admins: str = Field("", validation_alias="PAPERBOT_ADMINS")  # comma-separated user ids

    # sources
    hf_api: str = Field("https://huggingface.co/api", validation_alias="PAPERBOT_HF_API")
    sources: str = Field("hf", validation_alias="PAPERBOT_SOURCES")  # comma-separated: hf, paths, URLs
    fetch_time: dt.time = Field(dt.time(9, 30), validation_alias="PAPERBOT_FETCH_TIME")
    fetch_timezone: str = Field("UTC", validation_alias="PAPERBOT_FETCH_TIMEZONE")
    #: days (today included) the fetch catch-up looks back for missed days; 0 = only the daily fetch
    fetch_catchup_days: int = Field(3, validation_alias="PAPERBOT_FETCH_CATCHUP_DAYS")

    # running as a service
    log_level: str = Field("INFO", validation_alias="PAPERBOT_LOG_LEVEL")
    log_format: Literal["text", "json"] = Field("text", validation_alias="PAPERBOT_LOG_FORMAT")
    health_host: str = Field("127.0.0.1", validation_alias="PAPERBOT_HEALTH_HOST")
    #: 0 turns the health server off; the console serves it only when this is set explicitly
    health_port: int = Field(8080, validation_alias="PAPERBOT_HEALTH_PORT")
    #: a crashed run's unfinished parts are taken over this many seconds after its last heartbeat
    lease_seconds: float = Field(10.0, gt=0.5, le=600, validation_alias="PAPERBOT_LEASE_SECONDS")
    #: several processes on one PostgreSQL database: how often a follower tries to take the lead
    leader_retry_seconds: float = Field(5.0, ge=0.1, le=25, validation_alias="PAPERBOT_LEADER_RETRY_SECONDS")

    # Discord
    discord_token: SecretStr | None = Field(None, validation_alias="DISCORD_TOKEN")
    discord_token_file: Path | None = Field(None, validation_alias="DISCORD_TOKEN_FILE")
    discord_guild_id: int | None = Field(None, validation_alias="DISCORD_GUILD_ID")
    discord_api_base: str = Field("https://discord.com/api/v10", validation_alias="DISCORD_API_BASE")
    discord_gateway_url: str | None = Field(None, validation_alias="DISCORD_GATEWAY_URL")
    #: sharding over processes: the total number of shards, and the ones this process connects
    discord_shard_count: int | None = Field(None, validation_alias="DISCORD_SHARD_COUNT")
    discord_shard_ids: str = Field("", validation_alias="DISCORD_SHARD_IDS")  # comma-separated, e.g. 0,1
    #: REST requests per second the bot sends (unset: just under Discord's global limit of 50/s, which is per
    #: bot): processes on one PostgreSQL database share it through the database; on SQLite, the one process's
    discord_rest_rate: float | None = Field(None, gt=0, le=50, validation_alias="DISCORD_REST_RATE")

    # Slack
    slack_bot_token: SecretStr | None = Field(None, validation_alias="SLACK_BOT_TOKEN")
    slack_app_token: SecretStr | None = Field(None, validation_alias="SLACK_APP_TOKEN")
    slack_signing_secret: SecretStr | None = Field(None, validation_alias="SLACK_SIGNING_SECRET")
    slack_api_url: str = Field("https://slack.com/api/", validation_alias=AliasChoices("SLACK_API_URL"))

    # -- validation (one line per problem; see load_settings) ---------------------------
    @field_validator("timezone", "fetch_timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        return check_zone(value.strip())

    @field_validator("fetch_time", mode="before")
    @classmethod
    def _time(cls, value: Any) -> Any:
        if isinstance(value, str):
            match = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*", value)
            if not match or int(match[1]) > 23 or int(match[2]) > 59:
                raise ValueError(f"not a time of day: {value!r} (expected HH:MM, e.g. 09:30)")
            return dt.time(int(match[1]), int(match[2]))
        return value

    @field_validator("port")
    @classmethod
    def _port(cls, value: int) -> int:
        if not 1 <= value <= 65535:
            raise ValueError(f"not a TCP port: {value} (expected 1-65535)")
        return value

    @field_validator("health_port")
    @classmethod
    def _health_port(cls, value: int) -> int:
        if not 0 <= value <= 65535:
            raise ValueError(f"not a TCP port: {value} (expected 1-65535, or 0 to turn the health server off)")
        return value

    @field_validator("fetch_catchup_days")
    @classmethod
    def _catchup(cls, value: int) -> int:
        if not 0 <= value <= 60:
            raise ValueError(f"must be 0 to 60 days, not {value}")
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _level(cls, value: Any) -> Any:
        text = str(value).strip().upper()
        if text not in LOG_LEVELS:
            raise ValueError(f"unknown log level {value!r} (expected one of {', '.join(LOG_LEVELS)})")
        return text

    @field_validator("language", mode="before")
    @classmethod
    def _language(cls, value: Any) -> Any:
        code = language_of(str(value))
        if code is None:
            raise ValueError(f"unknown language {value!r} (expected one of {', '.join(LANGUAGES)})")
        return code

    @field_validator("log_format", mode="before")
    @classmethod
    def _format(cls, value: Any) -> Any:
        text = str(value).strip().lower()
        if text not in ("text", "json"):
            raise ValueError(f"unknown log format {value!r} (expected text or json)")
        return text

    @field_validator("discord_guild_id", mode="before")
    @classmethod
    def _guild(cls, value: Any) -> Any:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if isinstance(value, int) and value > 0:
            return value
        if not (isinstance(value, str) and value.strip().isdigit() and int(value) > 0):
            raise ValueError(f"not a Discord server id: {value!r} (expected digits, e.g. 123456789012345678)")
        return int(value)

    @field_validator("discord_shard_count", mode="before")
    @classmethod
    def _shard_count(cls, value: Any) -> Any:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        text = str(value).strip()
        if not text.isdigit() or not 1 <= int(text) <= MAX_SHARDS:
            raise ValueError(f"not a shard count: {value!r} (expected a number from 1 to {MAX_SHARDS})")
        return int(text)

    @field_validator("discord_shard_ids")
    @classmethod
    def _shard_ids(cls, value: str, info: ValidationInfo) -> str:
        entries = [e.strip() for e in value.split(",") if e.strip()]
        if not entries:
            return ""
        if "discord_shard_count" not in info.data:
            return value  # the count is wrong already: that line says so
        count = info.data["discord_shard_count"]
        if count is None:
            raise ValueError("set DISCORD_SHARD_COUNT too (the total number of shards, e.g. 2)")
        for entry in entries:
            if not entry.isdigit() or int(entry) >= count:
                raise ValueError(f"not a shard id: {entry!r} (expected comma-separated numbers from 0 to {count - 1},"
                                 f" as DISCORD_SHARD_COUNT is {count})")
        if len(set(entries)) != len(entries):
            raise ValueError(f"a shard is listed twice in {value!r}")
        return ",".join(str(int(e)) for e in entries)

    @field_validator("admins")
    @classmethod
    def _admins(cls, value: str) -> str:
        for entry in (a.strip() for a in value.split(",")):
            if entry and not _ID.fullmatch(entry):
                raise ValueError(f"not a user id: {entry!r} (expected comma-separated ids such as U0123ABC)")
        return value

    @field_validator("hf_api", "discord_api_base", "slack_api_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        return _check_url(value, ("http", "https"))

    @field_validator("discord_gateway_url")
    @classmethod
    def _gateway_url(cls, value: str | None) -> str | None:
        return None if value is None or not value.strip() else _check_url(value, ("ws", "wss", "http", "https"))

    @field_validator("db")
    @classmethod
    def _db(cls, value: Path) -> Path:
        path = value.expanduser()
        if str(value) != ":memory:" and path.is_dir():
            raise ValueError(f"{str(path)!r} is a directory, not a database file")
        return path

    @field_validator("discord_token_file")
    @classmethod
    def _token_file(cls, value: Path | None) -> Path | None:
        if value is None or not str(value).strip():
            return None
        path = value.expanduser()
        if not path.is_file():
            raise ValueError(f"no such file: {str(path)!r}")
        if not os.access(path, os.R_OK):
            raise ValueError(f"cannot read {str(path)!r} (permission denied)")
        return path

    # -- values ------------------------------------------------------------------------
    def discord_token_value(self) -> str | None:
        """The Discord token from ``DISCORD_TOKEN`` or the file ``DISCORD_TOKEN_FILE`` names."""
        if self.discord_token is not None:
            return self.discord_token.get_secret_value().strip() or None
        if self.discord_token_file is not None:
            return self.discord_token_file.read_text(encoding="utf-8").strip() or None
        return None

    def discord_shards(self) -> tuple[int | None, list[int] | None]:
        """``(shard_count, shard_ids)`` for discord.py; ``(None, None)``: one gateway connection, no sharding.

        ``DISCORD_SHARD_COUNT`` alone connects every shard from this process.
        """
        if self.discord_shard_count is None:
            return None, None
        ids = [int(e) for e in self.discord_shard_ids.split(",") if e.strip()]
        return self.discord_shard_count, ids or list(range(self.discord_shard_count))

    def admin_ids(self) -> frozenset[str]:
        return frozenset(a.strip() for a in self.admins.split(",") if a.strip())

    def health_port_for(self, platform: str) -> int:
        """The health server's port for ``platform``; 0 = off (the console's default)."""
        if platform == "console" and "health_port" not in self.model_fields_set:
            return 0
        return self.health_port


def _variable(loc: tuple[Any, ...]) -> str:
    """The environment variable a validation error is about (pydantic reports the alias)."""
    name = str(loc[0]) if loc else "settings"
    field = Settings.model_fields.get(name)
    if field is not None and isinstance(field.validation_alias, str):
        return field.validation_alias
    return name.upper()


def settings_error_line(error: ValidationError) -> str:
    """One line: ``PAPERBOT_TIMEZONE: unknown time zone 'Asia/Seul' …``; several problems joined by ``; ``.

    Secrets' values are never shown: pydantic's own messages for them carry no input, and
    ours never quote them.
    """
    parts = []
    for item in error.errors(include_url=False, include_input=False):
        message = str(item.get("msg", "invalid"))
        message = message.removeprefix("Value error, ")
        parts.append(f"{_variable(tuple(item.get('loc', ())))}: {message}")
    return "; ".join(parts)


def load_settings(**overrides: Any) -> Settings:
    """The settings, checked; :class:`ConfigError` with one line naming each bad variable."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise ConfigError(settings_error_line(exc)) from None
