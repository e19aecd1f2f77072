"""Rendered payloads → keyword arguments for discord.py's ``send`` methods.

Every send carries ``AllowedMentions.none()``; embeds are rebuilt from the renderer's
dicts with :meth:`discord.Embed.from_dict`, so discord.py serialises them as it was given.
"""

from __future__ import annotations

from typing import Any

import discord

from bot.payload import Payload

NO_MENTIONS = discord.AllowedMentions.none()


def send_kwargs(payload: Payload) -> dict[str, Any]:
    """``content`` (when not empty), ``embeds`` and ``allowed_mentions`` for ``send``/``send_message``."""
    body = payload.body
    kwargs: dict[str, Any] = {
        "embeds": [discord.Embed.from_dict(e) for e in body.get("embeds") or []],
        "allowed_mentions": NO_MENTIONS,
    }
    if body.get("content"):
        kwargs["content"] = body["content"]
    return kwargs
