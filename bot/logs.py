"""Logging for the running bot: ``PAPERBOT_LOG_LEVEL`` and ``PAPERBOT_LOG_FORMAT=text|json``.

JSON is one object per line (python-json-logger): ``time``, ``level``, ``logger``,
``message``, and the context fields in force — ``platform``, ``channel``, ``post``,
``run_id`` — set with :func:`context` (or passed as ``extra=``). Third-party noise is
turned down: discord.py's "voice will NOT be supported" warnings (paperbot never joins
voice), per-request httpx lines, and APScheduler's job chatter below WARNING.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import sys
from collections.abc import Iterator
from typing import Any, TextIO

from pythonjsonlogger.json import JsonFormatter

from bot.config import Settings

CONTEXT_FIELDS = ("platform", "channel", "post", "run_id")
_context: contextvars.ContextVar[dict[str, Any]] = contextvars.ContextVar("paperbot_log_context", default={})  # noqa: B039

#: loggers that talk too much at INFO for a service's log; they still pass WARNING and up
NOISY = ("httpx", "httpcore", "apscheduler", "discord", "slack_bolt", "slack_sdk", "aiohttp.access", "asyncio")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


@contextlib.contextmanager
def context(**fields: Any) -> Iterator[None]:
    """Add ``fields`` (e.g. ``platform="slack", channel="C1", post="digest:2024-06-28"``) to every log
    record made inside the block, in this task and the tasks it starts."""
    token = _context.set({**_context.get(), **{k: v for k, v in fields.items() if v is not None}})
    try:
        yield
    finally:
        _context.reset(token)


class _ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in _context.get().items():
            if not hasattr(record, key):
                setattr(record, key, value)
        return True


class _NoVoiceWarning(logging.Filter):
    """discord.py warns at every start that voice is unsupported without PyNaCl/davey; paperbot never uses voice."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "voice will NOT be supported" not in record.getMessage()


class _TextFormatter(logging.Formatter):
    """Plain lines, with the context fields in force appended as ``key=value``."""

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        extra = " ".join(f"{k}={getattr(record, k)}" for k in CONTEXT_FIELDS if hasattr(record, k))
        return f"{line} [{extra}]" if extra else line


def json_formatter() -> logging.Formatter:
    return JsonFormatter("%(levelname)s %(name)s %(message)s", timestamp="time",
                         rename_fields={"levelname": "level", "name": "logger"}, json_ensure_ascii=False)


def silence_voice_warnings() -> None:
    """Idempotent; adapters call it before discord.py creates a client."""
    logger = logging.getLogger("discord.client")
    if not any(isinstance(f, _NoVoiceWarning) for f in logger.filters):
        logger.addFilter(_NoVoiceWarning())


def configure(settings: Settings, *, default_level: str = "INFO", stream: TextIO | None = None) -> None:
    """Send logs to ``stream`` (stderr) at ``PAPERBOT_LOG_LEVEL`` in ``PAPERBOT_LOG_FORMAT``.

    ``default_level`` applies when ``PAPERBOT_LOG_LEVEL`` is not set: one-shot commands print
    their own results and pass ``CRITICAL`` (``DEBUG`` then shows a failure's traceback); the
    interactive console passes ``WARNING``.
    """
    level = settings.log_level if "log_level" in settings.model_fields_set else default_level
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(json_formatter() if settings.log_format == "json" else _TextFormatter(TEXT_FORMAT))
    handler.addFilter(_ContextFilter())
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, "_paperbot", False):
            root.removeHandler(old)
    handler._paperbot = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    quiet = max(logging.WARNING, logging.getLevelName(level))
    for name in NOISY:
        logging.getLogger(name).setLevel(quiet if level != "DEBUG" else logging.DEBUG)
    silence_voice_warnings()
