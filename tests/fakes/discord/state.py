"""The world the fake serves: users, one guild with roles, members and channels, permissions, payloads."""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from .wire import (
    ALL_PERMISSIONS,
    DEFAULT_BOT_PERMISSIONS,
    DEFAULT_EVERYONE_PERMISSIONS,
    DM,
    GUILD_CATEGORY,
    GUILD_TEXT,
    GUILD_VOICE,
    INTENT_GUILD_PRESENCES,
    MODERATOR_PERMISSIONS,
    THREAD_TYPES,
    P,
    Snowflakes,
    now_iso,
    perm_int,
)


class Guild:
    def __init__(self, guild_id: int, name: str, owner_id: int, locale: str) -> None:
        self.id = guild_id
        self.name = name
        self.owner_id = owner_id
        self.locale = locale
        self.roles: dict[int, dict[str, Any]] = {}
        self.members: dict[int, dict[str, Any]] = {}
        self.channel_ids: list[int] = []
        self.joined_at = now_iso(-86400)


class World:
    """Default world: the bot, an owner, a member and a moderator, the guild "Paper Lab" with a Moderator role, a
    managed bot role, a category and the channels #general, #papers and #mod-only (hidden from @everyone)."""

    def __init__(
        self,
        *,
        token: str,
        application_flags: int,
        bot_user_id: int,
        application_id: int | None,
        guild_id: int,
        guild_name: str,
        guild_locale: str,
    ) -> None:
        self.token = token
        self.application_flags = application_flags
        self.snowflake = Snowflakes()
        self.users: dict[int, dict[str, Any]] = {}
        self.guilds: dict[int, Guild] = {}
        self.channels: dict[int, dict[str, Any]] = {}
        self.blocked_dm_users: set[int] = set()
        self._changed: asyncio.Condition | None = None  # made by start(), in the server's loop

        self.bot_user_id = bot_user_id
        self.application_id = application_id or bot_user_id
        self.add_user("paperbot", user_id=bot_user_id, bot=True, global_name=None)
        self.owner_id = self.add_user("owner", user_id=1200000000000000201, global_name="Guild Owner")
        self.user_id = self.add_user("alice", user_id=1200000000000000202, global_name="Alice")
        self.moderator_id = self.add_user("mod", user_id=1200000000000000203, global_name="Moderator")

        self.guild_id = guild_id
        self.add_guild(guild_name, guild_id=guild_id, owner_id=self.owner_id, locale=guild_locale)
        self.moderator_role_id = self.add_role("Moderator", MODERATOR_PERMISSIONS, role_id=guild_id + 10, hoist=True)
        self.bot_role_id = self.add_role(
            "paperbot", DEFAULT_BOT_PERMISSIONS, role_id=guild_id + 11, managed=True, tags={"bot_id": str(bot_user_id)}
        )
        self.add_member(self.owner_id)
        self.add_member(self.user_id)
        self.add_member(self.moderator_id, roles=[self.moderator_role_id])
        self.add_member(self.bot_user_id, roles=[self.bot_role_id])
        self.category_id = self.add_channel("Papers", type=GUILD_CATEGORY, channel_id=guild_id + 4)
        self.channel_id = self.add_channel(
            "general", channel_id=guild_id + 1, parent_id=self.category_id, topic="General chat"
        )
        self.papers_channel_id = self.add_channel(
            "papers", channel_id=guild_id + 2, parent_id=self.category_id, topic="Daily AI paper digests"
        )
        self.mod_channel_id = self.add_channel(
            "mod-only",
            channel_id=guild_id + 3,
            permission_overwrites=[
                self.overwrite(guild_id, deny=P.VIEW_CHANNEL),
                self.overwrite(self.moderator_role_id, allow=P.VIEW_CHANNEL | P.SEND_MESSAGES),
                self.overwrite(self.bot_role_id, allow=P.VIEW_CHANNEL | P.SEND_MESSAGES | P.EMBED_LINKS),
            ],
        )
        self.application: dict[str, Any] = {
            "id": str(self.application_id),
            "name": "paperbot",
            "icon": None,
            "description": "Daily AI-paper digests",
            "summary": "",
            "type": None,
            "hook": True,
            "bot_public": True,
            "bot_require_code_grant": False,
            "verify_key": hashlib.sha256(str(self.application_id).encode()).hexdigest(),
            "flags": application_flags,
            "team": None,
            "tags": [],
            "redirect_uris": [],
            "interactions_endpoint_url": None,
            "role_connections_verification_url": None,
            "approximate_guild_count": 1,
            "integration_types_config": {"0": {}, "1": {}},
        }

    # ------------------------------------------------------------------ waiting

    async def _notify(self) -> None:
        assert self._changed is not None
        async with self._changed:
            self._changed.notify_all()

    async def wait_until(self, predicate: Callable[[], Any], timeout: float = 5.0) -> Any:  # noqa: ASYNC109
        """Wait until ``predicate()`` is truthy (re-checked whenever the fake records something); returns it."""
        assert self._changed is not None
        async with asyncio.timeout(timeout), self._changed:
            while not (result := predicate()):
                await self._changed.wait()
            return result

    # ------------------------------------------------------------------ world building

    def add_user(
        self, username: str, *, user_id: int | None = None, bot: bool = False, global_name: str | None = None
    ) -> int:
        """Add a user object; returns its id."""
        uid = user_id or self.snowflake()
        user = {
            "id": str(uid),
            "username": username,
            "discriminator": "0",
            "global_name": global_name,
            "avatar": None,
            "avatar_decoration_data": None,
            "banner": None,
            "accent_color": None,
            "public_flags": 0,
            "flags": 0,
            "collectibles": None,
            "primary_guild": None,
        }
        if bot:
            user["bot"] = True
        self.users[uid] = user
        return uid

    def add_guild(
        self, name: str, *, guild_id: int | None = None, owner_id: int | None = None, locale: str = "ko"
    ) -> int:
        """Add a guild the bot is in (with an @everyone role whose id is the guild id); returns its id."""
        gid = guild_id or self.snowflake()
        guild = Guild(gid, name, owner_id or self.owner_id, locale)
        self.guilds[gid] = guild
        guild.roles[gid] = self._role_payload(gid, "@everyone", DEFAULT_EVERYONE_PERMISSIONS, position=0)
        return gid

    def _role_payload(self, role_id: int, name: str, permissions: int, **extra: Any) -> dict[str, Any]:
        role = {
            "id": str(role_id),
            "name": name,
            "color": 0,
            "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
            "hoist": False,
            "icon": None,
            "unicode_emoji": None,
            "position": 0,
            "permissions": str(permissions),
            "managed": False,
            "mentionable": False,
            "flags": 0,
        }
        role.update(extra)
        return role

    def add_role(
        self,
        name: str,
        permissions: int | str = 0,
        *,
        guild_id: int | None = None,
        role_id: int | None = None,
        **extra: Any,
    ) -> int:
        """Add a role (``extra`` goes into the role object, e.g. ``managed=True``); returns its id."""
        guild = self.guilds[guild_id or self.guild_id]
        rid = role_id or self.snowflake()
        guild.roles[rid] = self._role_payload(rid, name, perm_int(permissions), position=len(guild.roles), **extra)
        return rid

    def add_member(
        self, user: int | str, *, roles: Iterable[int] = (), nick: str | None = None, guild_id: int | None = None
    ) -> int:
        """Add a guild member for a user id (or a new user named ``user``); returns the user id."""
        uid = user if isinstance(user, int) else self.add_user(user)
        guild = self.guilds[guild_id or self.guild_id]
        guild.members[uid] = {
            "roles": [str(r) for r in roles],
            "nick": nick,
            "avatar": None,
            "banner": None,
            "joined_at": now_iso(-3600),
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "flags": 0,
            "pending": False,
            "communication_disabled_until": None,
            "unusual_dm_activity_until": None,
        }
        return uid

    def add_channel(
        self,
        name: str,
        *,
        type: int = GUILD_TEXT,
        guild_id: int | None = None,
        channel_id: int | None = None,
        parent_id: int | None = None,
        permission_overwrites: Iterable[Mapping[str, Any]] = (),
        topic: str | None = None,
    ) -> int:
        """Add a guild channel (text by default); returns its id."""
        guild = self.guilds[guild_id or self.guild_id]
        cid = channel_id or self.snowflake()
        channel: dict[str, Any] = {
            "id": str(cid),
            "type": type,
            "guild_id": str(guild.id),
            "name": name,
            "position": len(guild.channel_ids),
            "permission_overwrites": [dict(o) for o in permission_overwrites],
            "parent_id": str(parent_id) if parent_id else None,
            "flags": 0,
        }
        if type != GUILD_CATEGORY:
            channel.update(
                topic=topic,
                nsfw=False,
                last_message_id=None,
                rate_limit_per_user=0,
                default_auto_archive_duration=1440,
                default_thread_rate_limit_per_user=0,
            )
        if type == GUILD_VOICE:
            channel.update(bitrate=64000, user_limit=0, rtc_region=None)
        self.channels[cid] = channel
        guild.channel_ids.append(cid)
        return cid

    @staticmethod
    def overwrite(target_id: int, *, allow: int | str = 0, deny: int | str = 0, member: bool = False) -> dict[str, Any]:
        """A permission overwrite object (role overwrite unless ``member=True``)."""
        return {
            "id": str(target_id),
            "type": 1 if member else 0,
            "allow": str(perm_int(allow)),
            "deny": str(perm_int(deny)),
        }

    def dm_channel(self, user_id: int) -> int:
        """Return (creating if needed) the id of the DM channel between the bot and ``user_id``."""
        for cid, channel in self.channels.items():
            if channel["type"] == DM and channel["recipients"][0]["id"] == str(user_id):
                return cid
        cid = self.snowflake()
        self.channels[cid] = {
            "id": str(cid),
            "type": DM,
            "last_message_id": None,
            "flags": 0,
            "recipients": [self.users[user_id]],
        }
        return cid

    def block_dms(self, user_id: int) -> None:
        """Make DMs to ``user_id`` fail like Discord does (403, code 50007 Cannot send messages to this user)."""
        self.blocked_dm_users.add(user_id)

    def _guild_of_channel(self, channel: Mapping[str, Any]) -> Guild | None:
        gid = channel.get("guild_id")
        return self.guilds.get(int(gid)) if gid else None

    def permissions_for(self, user_id: int, channel_id: int | None = None, *, guild_id: int | None = None) -> int:
        """Permissions of a member, computed like Discord (roles, owner, ADMINISTRATOR, channel overwrites)."""
        channel = self.channels.get(channel_id) if channel_id else None
        if channel is not None and channel["type"] in THREAD_TYPES:
            channel = self.channels.get(int(channel["parent_id"]))
        guild = self._guild_of_channel(channel) if channel else self.guilds.get(guild_id or self.guild_id)
        if guild is None:
            return 0
        member = guild.members.get(user_id)
        if member is None:
            return 0
        if user_id == guild.owner_id:
            return ALL_PERMISSIONS
        role_ids = [guild.id, *(int(r) for r in member["roles"])]
        base = 0
        for rid in role_ids:
            role = guild.roles.get(rid)
            if role:
                base |= int(role["permissions"])
        if base & P.ADMINISTRATOR:
            return ALL_PERMISSIONS
        if channel is None or channel["type"] == DM:
            return base
        overwrites = {int(o["id"]): o for o in channel.get("permission_overwrites", [])}
        perms = base
        everyone = overwrites.get(guild.id)
        if everyone:
            perms = (perms & ~int(everyone["deny"])) | int(everyone["allow"])
        allow = deny = 0
        for rid in role_ids[1:]:
            ow = overwrites.get(rid)
            if ow and ow["type"] == 0:
                allow |= int(ow["allow"])
                deny |= int(ow["deny"])
        perms = (perms & ~deny) | allow
        ow = overwrites.get(user_id)
        if ow and ow["type"] == 1:
            perms = (perms & ~int(ow["deny"])) | int(ow["allow"])
        if not perms & P.VIEW_CHANNEL:
            return 0
        return perms

    # ------------------------------------------------------------------ payload builders

    def user_payload(self, user_id: int) -> dict[str, Any]:
        if user_id not in self.users:
            self.add_user(f"user{user_id}", user_id=user_id)
        return dict(self.users[user_id])

    def member_payload(
        self, user_id: int, *, guild_id: int | None = None, with_user: bool = True, channel_id: int | None = None
    ) -> dict[str, Any]:
        guild = self.guilds[guild_id or self.guild_id]
        if user_id not in guild.members:
            self.add_member(user_id, guild_id=guild.id)
        member = dict(guild.members[user_id])
        if with_user:
            member["user"] = self.user_payload(user_id)
        if channel_id is not None:
            member["permissions"] = str(self.permissions_for(user_id, channel_id))
        return member

    def channel_payload(self, channel_id: int) -> dict[str, Any]:
        return json.loads(json.dumps(self.channels[channel_id]))

    def guild_payload(self, guild_id: int | None = None, *, intents: int = -1) -> dict[str, Any]:
        """A GUILD_CREATE payload (members limited by intents like Discord: all members only with presences)."""
        guild = self.guilds[guild_id or self.guild_id]
        channels: list[dict[str, Any]] = []
        threads: list[dict[str, Any]] = []
        for cid in guild.channel_ids:
            payload = self.channel_payload(cid)
            payload.pop("guild_id", None)
            (threads if payload["type"] in THREAD_TYPES else channels).append(payload)
        if intents & INTENT_GUILD_PRESENCES:
            member_ids = list(guild.members)
        else:
            member_ids = [uid for uid in guild.members if uid == self.bot_user_id]
        return {
            "id": str(guild.id),
            "name": guild.name,
            "icon": None,
            "icon_hash": None,
            "splash": None,
            "discovery_splash": None,
            "banner": None,
            "description": None,
            "owner_id": str(guild.owner_id),
            "application_id": None,
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 1,
            "default_message_notifications": 1,
            "explicit_content_filter": 2,
            "mfa_level": 0,
            "nsfw_level": 0,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "premium_progress_bar_enabled": False,
            "preferred_locale": guild.locale,
            "features": [],
            "emojis": [],
            "stickers": [],
            "roles": list(guild.roles.values()),
            "system_channel_id": next(
                (str(c) for c in guild.channel_ids if self.channels[c]["type"] == GUILD_TEXT), None
            ),
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "public_updates_channel_id": None,
            "safety_alerts_channel_id": None,
            "max_members": 500000,
            "max_video_channel_users": 25,
            "max_stage_video_channel_users": 50,
            "vanity_url_code": None,
            "incidents_data": None,
            "joined_at": guild.joined_at,
            "large": False,
            "lazy": True,
            "unavailable": False,
            "member_count": len(guild.members),
            "members": [self.member_payload(uid, guild_id=guild.id) for uid in member_ids],
            "channels": channels,
            "threads": threads,
            "presences": [],
            "voice_states": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
            "embedded_activities": [],
            "activity_instances": [],
            "version": int(time.time() * 1000),
        }

    def _bot_user_me(self) -> dict[str, Any]:
        me = self.user_payload(self.bot_user_id)
        me.update(verified=True, mfa_enabled=False, locale="en-US", email=None, bot=True)
        return me
