"""Settings from the environment, a ``.env`` file, or secret files (pydantic-settings).

Platform variables keep their platforms' usual names (``DISCORD_TOKEN``,
``SLACK_BOT_TOKEN`` …); paperbot's own settings use the ``PAPERBOT_`` prefix.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from platformdirs import user_data_dir
from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class ConfigError(Exception):
    """A missing or rejected setting; the message names the variable, never its value."""


def default_db_path() -> Path:
    return Path(user_data_dir("paperbot", appauthor=False)) / "paperbot.db"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    db: Path = Field(default_factory=default_db_path, validation_alias="PAPERBOT_DB")
    timezone: str = Field("Asia/Seoul", validation_alias="PAPERBOT_TIMEZONE")
    host: str = Field("127.0.0.1", validation_alias="PAPERBOT_HOST")
    port: int = Field(3000, validation_alias="PAPERBOT_PORT")
    admins: str = Field("", validation_alias="PAPERBOT_ADMINS")  # comma-separated user ids

    # sources
    hf_api: str = Field("https://huggingface.co/api", validation_alias="PAPERBOT_HF_API")
    sources: str = Field("hf", validation_alias="PAPERBOT_SOURCES")  # comma-separated: hf, paths, URLs
    fetch_time: dt.time = Field(dt.time(9, 30), validation_alias="PAPERBOT_FETCH_TIME")
    fetch_timezone: str = Field("UTC", validation_alias="PAPERBOT_FETCH_TIMEZONE")

    # Discord
    discord_token: SecretStr | None = Field(None, validation_alias="DISCORD_TOKEN")
    discord_token_file: Path | None = Field(None, validation_alias="DISCORD_TOKEN_FILE")
    discord_guild_id: int | None = Field(None, validation_alias="DISCORD_GUILD_ID")
    discord_api_base: str = Field("https://discord.com/api/v10", validation_alias="DISCORD_API_BASE")
    discord_gateway_url: str | None = Field(None, validation_alias="DISCORD_GATEWAY_URL")

    # Slack
    slack_bot_token: SecretStr | None = Field(None, validation_alias="SLACK_BOT_TOKEN")
    slack_app_token: SecretStr | None = Field(None, validation_alias="SLACK_APP_TOKEN")
    slack_signing_secret: SecretStr | None = Field(None, validation_alias="SLACK_SIGNING_SECRET")
    slack_api_url: str = Field("https://slack.com/api/", validation_alias=AliasChoices("SLACK_API_URL"))

    def discord_token_value(self) -> str | None:
        """The Discord token from ``DISCORD_TOKEN`` or the file ``DISCORD_TOKEN_FILE`` names."""
        if self.discord_token is not None:
            return self.discord_token.get_secret_value().strip() or None
        if self.discord_token_file is not None:
            return self.discord_token_file.read_text(encoding="utf-8").strip() or None
        return None

    def admin_ids(self) -> frozenset[str]:
        return frozenset(a.strip() for a in self.admins.split(",") if a.strip())
