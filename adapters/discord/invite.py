"""The bot's invite link: OAuth2 scopes ``bot applications.commands`` and the fewest permissions it needs."""

from __future__ import annotations

import discord

SCOPES = ("bot", "applications.commands")

#: what posting a digest needs: see the channel, post (with embeds), open a thread on the post, reply in it
PERMISSIONS = discord.Permissions(
    view_channel=True,
    send_messages=True,
    send_messages_in_threads=True,
    create_public_threads=True,
    embed_links=True,
    read_message_history=True,
)


def invite_url(application_id: int, *, guild_id: int | None = None) -> str:
    """``https://discord.com/oauth2/authorize?client_id=…&scope=bot+applications.commands&permissions=…``.

    ``guild_id`` preselects a server in the authorisation screen.
    """
    if application_id <= 0:
        raise ValueError(f"not a Discord application id: {application_id}")
    if guild_id is None:
        return discord.utils.oauth_url(application_id, permissions=PERMISSIONS, scopes=SCOPES)
    return discord.utils.oauth_url(
        application_id, permissions=PERMISSIONS, scopes=SCOPES, guild=discord.Object(guild_id)
    )
