"""What the fake saw: REST requests, created messages, interactions handed to the bot."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any


@dataclass
class RecordedRequest:
    """One REST request as the fake saw it. ``path`` is relative to ``api_base`` (``/channels/1/messages``)."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    json: Any
    files: list[dict[str, Any]]
    time: float
    status: int | None = None
    response: Any = None
    response_headers: dict[str, str] = field(default_factory=dict)
    route: str | None = None


@dataclass
class CreatedMessage:
    """A message successfully created through ``POST /channels/{id}/messages``."""

    id: int
    channel_id: int
    content: str
    embeds: list[dict[str, Any]]
    allowed_mentions: dict[str, Any] | None
    nonce: str | int | None
    enforce_nonce: bool
    message_reference: dict[str, Any] | None
    components: list[dict[str, Any]]
    flags: int
    attachments: list[dict[str, Any]]
    payload: dict[str, Any]


@dataclass
class InteractionRecord:
    """Server-side state of an interaction handed to the bot with ``FakeDiscord.invoke``."""

    id: int
    token: str
    type: int
    payload: dict[str, Any]
    created: float
    callback: dict[str, Any] | None = None
    original: dict[str, Any] | None = None
    loading: bool = False
    followups: list[dict[str, Any]] = field(default_factory=list)
    event: asyncio.Event = field(default_factory=asyncio.Event)
