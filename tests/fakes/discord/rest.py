"""REST routes the bot uses: users and the application, command sync, channels, messages, threads."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from .records import CreatedMessage
from .server import Handler, Server
from .wire import (
    ANNOUNCEMENT_THREAD,
    COMMAND_NAME_RE,
    DM,
    GUILD_ANNOUNCEMENT,
    GUILD_CATEGORY,
    GUILD_FORUM,
    GUILD_TEXT,
    INTENT_GUILDS,
    PRIVATE_THREAD,
    PUBLIC_THREAD,
    RECORD_KEY,
    SUB_COMMAND,
    SUB_COMMAND_GROUP,
    THREAD_TYPES,
    P,
    error_response,
    form_error,
    form_error_response,
    json_response,
    merge_errors,
    now_iso,
)


class Rest(Server):
    """``messages`` records every message created through ``POST /channels/{id}/messages``."""

    def __init__(self, *, enforce_permissions: bool, **rest: Any) -> None:
        super().__init__(**rest)
        self.enforce_permissions = enforce_permissions
        self.nonce_window = 300.0  # how long a repeated nonce with enforce_nonce answers the first message
        self.messages: list[CreatedMessage] = []
        self.commands: dict[int | None, list[dict[str, Any]]] = {}
        self._nonces: dict[tuple[int, str], tuple[int, float]] = {}
        self._thread_for_message: dict[int, int] = {}

    def _routes(self) -> list[tuple[str, str, Handler]]:
        return [
            *super()._routes(),
            ("GET", "/users/@me", self._get_me),
            ("GET", "/gateway/bot", self._gateway_bot),
            ("GET", "/users/{user_id}", self._get_user),
            ("POST", "/users/@me/channels", self._open_dm),
            ("GET", "/oauth2/applications/@me", self._get_application),
            ("PUT", "/applications/{application_id}/commands", self._put_commands),
            ("PUT", "/applications/{application_id}/guilds/{guild_id}/commands", self._put_commands),
            ("GET", "/channels/{channel_id}", self._get_channel),
            ("GET", "/channels/{channel_id}/messages", self._list_messages),
            ("POST", "/channels/{channel_id}/messages", self._create_message),
            ("POST", "/channels/{channel_id}/messages/{message_id}/threads", self._thread_from_message),
            ("POST", "/channels/{channel_id}/threads", self._thread_without_message),
        ]

    # ------------------------------------------------------------------ users, application

    async def _get_me(self, request: web.Request) -> web.Response:
        return json_response(self._bot_user_me())

    async def _get_user(self, request: web.Request) -> web.Response:
        uid = int(request.match_info["user_id"])
        if uid not in self.users:
            return error_response(404, 10013, "Unknown User")
        return json_response(self.user_payload(uid))

    async def _get_application(self, request: web.Request) -> web.Response:
        app = dict(self.application)
        app["owner"] = self.user_payload(self.owner_id)
        app["bot"] = self.user_payload(self.bot_user_id)
        return json_response(app)

    async def _open_dm(self, request: web.Request) -> web.Response:
        body = request[RECORD_KEY].json or {}
        try:
            uid = int(body["recipient_id"])
        except (KeyError, TypeError, ValueError):
            return form_error_response(form_error(["recipient_id"], "BASE_TYPE_REQUIRED", "This field is required"))
        if uid not in self.users:
            return error_response(404, 10013, "Unknown User")
        return json_response(self.channel_payload(self.dm_channel(uid)))

    # ------------------------------------------------------------------ REST handlers: commands

    # ------------------------------------------------------------------ commands

    def _command_scope(self, request: web.Request) -> tuple[int | None, web.Response | None]:
        if int(request.match_info["application_id"]) != self.application_id:
            return None, error_response(403, 50001, "Missing Access")
        gid = request.match_info.get("guild_id")
        if gid is None:
            return None, None
        if int(gid) not in self.guilds:
            return None, error_response(403, 50001, "Missing Access")
        return int(gid), None

    def _validate_command(self, path: list[str], cmd: Mapping[str, Any]) -> dict[str, Any]:
        """Validate a command (or a SUB_COMMAND/SUB_COMMAND_GROUP option) like Discord's bulk overwrite does."""
        errors: dict[str, Any] = {}
        name = cmd.get("name")
        ctype = cmd.get("type", 1)
        chat_input = ctype in (1, SUB_COMMAND, SUB_COMMAND_GROUP) or not path
        if not isinstance(name, str) or not name:
            merge_errors(errors, form_error([*path, "name"], "BASE_TYPE_REQUIRED", "This field is required"))
        elif chat_input and (not COMMAND_NAME_RE.match(name) or name != name.lower()):
            merge_errors(
                errors, form_error([*path, "name"], "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid")
            )
        if chat_input and not 1 <= len(cmd.get("description") or "") <= 100:
            merge_errors(
                errors,
                form_error([*path, "description"], "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length."),
            )
        options = cmd.get("options") or []
        if len(options) > 25:
            merge_errors(
                errors, form_error([*path, "options"], "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
            )
        seen_optional = False
        for i, opt in enumerate(options):
            opt_path = [*path, "options", str(i)]
            if opt.get("type") in (SUB_COMMAND, SUB_COMMAND_GROUP):
                merge_errors(errors, self._validate_command(opt_path, opt))
                continue
            merge_errors(errors, self._validate_command(opt_path, {**opt, "type": SUB_COMMAND, "options": []}))
            if opt.get("required"):
                if seen_optional:
                    merge_errors(
                        errors,
                        form_error(
                            [*opt_path, "required"],
                            "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                            "Required options must be placed before non-required options",
                        ),
                    )
            else:
                seen_optional = True
            if len(opt.get("choices") or []) > 25:
                merge_errors(
                    errors,
                    form_error([*opt_path, "choices"], "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length."),
                )
        return errors

    def _make_command(self, guild_id: int | None, cmd: Mapping[str, Any], old_id: str | None) -> dict[str, Any]:
        stored: dict[str, Any] = {
            "id": old_id or str(self.snowflake()),
            "application_id": str(self.application_id),
            "version": str(self.snowflake()),
            "type": cmd.get("type", 1),
            "name": cmd["name"],
            "description": cmd.get("description", ""),
            "default_member_permissions": cmd.get("default_member_permissions"),
            "nsfw": cmd.get("nsfw", False),
            "name_localizations": cmd.get("name_localizations"),
            "description_localizations": cmd.get("description_localizations"),
            "options": cmd.get("options") or [],
        }
        if guild_id is not None:
            stored["guild_id"] = str(guild_id)
        else:
            stored["dm_permission"] = cmd.get("dm_permission", True)
            stored["contexts"] = cmd.get("contexts")
            stored["integration_types"] = cmd.get("integration_types") or [0]
        return stored

    def _existing_id(self, guild_id: int | None, cmd: Mapping[str, Any]) -> str | None:
        # Discord keeps a command's id when a command with the same name and type is overwritten.
        for old in self.commands.get(guild_id, []):
            if old["name"] == cmd.get("name") and old["type"] == cmd.get("type", 1):
                return old["id"]
        return None

    async def _put_commands(self, request: web.Request) -> web.Response:
        guild_id, failure = self._command_scope(request)
        if failure:
            return failure
        body = request[RECORD_KEY].json
        if not isinstance(body, list):
            return form_error_response(form_error([], "LIST_TYPE_CONVERT", "Only iterables may be used"))
        if len(body) > 100:
            return form_error_response(form_error([], "BASE_TYPE_MAX_LENGTH", "Must be 100 or fewer in length."))
        errors: dict[str, Any] = {}
        for i, cmd in enumerate(body):
            merge_errors(errors, self._validate_command([str(i)], cmd))
        if errors:
            return form_error_response(errors)
        self.commands[guild_id] = [self._make_command(guild_id, cmd, self._existing_id(guild_id, cmd)) for cmd in body]
        return json_response(self.commands[guild_id])

    def find_command(self, name: str, guild_id: int | None = None) -> dict[str, Any] | None:
        """The synced command ``name`` (guild commands for ``guild_id`` first, then global ones)."""
        for scope in (guild_id, None) if guild_id is not None else (None,):
            for cmd in self.commands.get(scope, []):
                if cmd["name"] == name and cmd["type"] == 1:
                    return cmd
        return None

    # ------------------------------------------------------------------ channels, messages

    def _channel_or_error(
        self, request: web.Request, *, need: int = P.VIEW_CHANNEL
    ) -> tuple[dict[str, Any] | None, web.Response | None]:
        try:
            cid = int(request.match_info["channel_id"])
        except ValueError:
            return None, error_response(404, 10003, "Unknown Channel")
        channel = self.channels.get(cid)
        if channel is None:
            return None, error_response(404, 10003, "Unknown Channel")
        if channel["type"] == DM:
            return channel, None
        if self.enforce_permissions:
            perms = self.permissions_for(self.bot_user_id, cid)
            if not perms & P.VIEW_CHANNEL:
                return None, error_response(403, 50001, "Missing Access")
            if need and perms & need != need:
                return None, error_response(403, 50013, "Missing Permissions")
        return channel, None

    async def _get_channel(self, request: web.Request) -> web.Response:
        channel, failure = self._channel_or_error(request)
        if failure:
            return failure
        assert channel is not None
        return json_response(self.channel_payload(int(channel["id"])))

    async def _create_message(self, request: web.Request) -> web.Response:
        channel, failure = self._channel_or_error(request, need=0)
        if failure:
            return failure
        assert channel is not None
        cid = int(channel["id"])
        if channel["type"] in (GUILD_CATEGORY, GUILD_FORUM):
            return error_response(400, 50008, "Cannot send messages in a non-text channel")
        if channel["type"] == DM:
            recipient = int(channel["recipients"][0]["id"])
            if recipient in self.blocked_dm_users:
                return error_response(403, 50007, "Cannot send messages to this user")
        elif self.enforce_permissions:
            need = P.SEND_MESSAGES_IN_THREADS if channel["type"] in THREAD_TYPES else P.SEND_MESSAGES
            if not self.permissions_for(self.bot_user_id, cid) & need:
                return error_response(403, 50013, "Missing Permissions")
            if channel["type"] in THREAD_TYPES and channel["thread_metadata"].get("locked"):
                return error_response(403, 50083, "Thread is archived")
        body = request[RECORD_KEY].json or {}
        files = request[RECORD_KEY].files
        problem = self.validate_message_payload(body, creating=True, has_files=bool(files))
        if problem:
            return json_response(problem, 400)
        nonce = body.get("nonce")
        now = time.monotonic()
        if nonce is not None and body.get("enforce_nonce"):
            seen = self._nonces.get((cid, str(nonce)))
            if seen and now - seen[1] < self.nonce_window:
                original = self.channel_messages.get(cid, {}).get(seen[0])
                if original is not None:
                    return json_response(self._public(original))
        message = self.build_message(cid, body, files=files)
        mid = int(message["id"])
        if nonce is not None:
            self._nonces[(cid, str(nonce))] = (mid, now)
        self.messages.append(
            CreatedMessage(
                id=mid,
                channel_id=cid,
                content=message["content"],
                embeds=message["embeds"],
                allowed_mentions=body.get("allowed_mentions"),
                nonce=nonce,
                enforce_nonce=bool(body.get("enforce_nonce", False)),
                message_reference=body.get("message_reference"),
                components=message["components"],
                flags=message["flags"],
                attachments=message["attachments"],
                payload=self._public(message),
            )
        )
        await self._echo_message(message)
        return json_response(self._public(message))

    async def _list_messages(self, request: web.Request) -> web.Response:
        channel, failure = self._channel_or_error(request, need=P.READ_MESSAGE_HISTORY)
        if failure:
            return failure
        assert channel is not None
        limit = min(int(request.query.get("limit", 50)), 100)
        msgs = sorted(
            self.channel_messages.get(int(channel["id"]), {}).values(), key=lambda m: int(m["id"]), reverse=True
        )
        before = request.query.get("before")
        after = request.query.get("after")
        if before:
            msgs = [m for m in msgs if int(m["id"]) < int(before)]
        if after:
            msgs = [m for m in msgs if int(m["id"]) > int(after)]
        return json_response([self._public(m) for m in msgs[:limit]])

    # ------------------------------------------------------------------ threads

    def _thread_payload(
        self,
        parent: Mapping[str, Any],
        *,
        thread_id: int,
        name: str,
        thread_type: int,
        auto_archive: int,
        invitable: bool,
    ) -> dict[str, Any]:
        now = now_iso()
        thread: dict[str, Any] = {
            "id": str(thread_id),
            "type": thread_type,
            "guild_id": parent["guild_id"],
            "parent_id": parent["id"],
            "owner_id": str(self.bot_user_id),
            "name": name,
            "last_message_id": None,
            "rate_limit_per_user": 0,
            "flags": 0,
            "message_count": 0,
            "member_count": 1,
            "total_message_sent": 0,
            "applied_tags": [],
            "thread_metadata": {
                "archived": False,
                "auto_archive_duration": auto_archive,
                "archive_timestamp": now,
                "locked": False,
                "create_timestamp": now,
            },
        }
        if thread_type == PRIVATE_THREAD:
            thread["thread_metadata"]["invitable"] = invitable
        return thread

    def _register_thread(self, thread: dict[str, Any]) -> dict[str, Any]:
        tid = int(thread["id"])
        self.channels[tid] = thread
        guild = self._guild_of_channel(thread)
        if guild is not None:
            guild.channel_ids.append(tid)
        response = json.loads(json.dumps(thread))
        response["member"] = {
            "id": thread["id"],
            "user_id": str(self.bot_user_id),
            "join_timestamp": now_iso(),
            "flags": 0,
            "muted": False,
            "mute_config": None,
        }
        return response

    def _validate_thread_body(self, body: Mapping[str, Any]) -> web.Response | None:
        name = body.get("name")
        if not isinstance(name, str) or not 1 <= len(name) <= 100:
            return form_error_response(
                form_error(["name"], "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
            )
        if body.get("auto_archive_duration", 1440) not in (60, 1440, 4320, 10080):
            return form_error_response(
                form_error(
                    ["auto_archive_duration"], "BASE_TYPE_CHOICES", "Value must be one of {60, 1440, 4320, 10080}."
                )
            )
        return None

    async def _thread_from_message(self, request: web.Request) -> web.Response:
        parent, failure = self._channel_or_error(request, need=P.CREATE_PUBLIC_THREADS)
        if failure:
            return failure
        assert parent is not None
        if parent["type"] not in (GUILD_TEXT, GUILD_ANNOUNCEMENT):
            return error_response(400, 50024, "Cannot execute action on this channel type")
        pid = int(parent["id"])
        mid = int(request.match_info["message_id"])
        message = self.channel_messages.get(pid, {}).get(mid)
        if message is None:
            return error_response(404, 10008, "Unknown Message")
        if mid in self._thread_for_message:
            return error_response(400, 160004, "A thread has already been created for this message")
        body = request[RECORD_KEY].json or {}
        problem = self._validate_thread_body(body)
        if problem:
            return problem
        thread = self._thread_payload(
            parent,
            thread_id=mid,  # threads started from a message share the message's id
            name=body["name"],
            thread_type=ANNOUNCEMENT_THREAD if parent["type"] == GUILD_ANNOUNCEMENT else PUBLIC_THREAD,
            auto_archive=body.get("auto_archive_duration", parent.get("default_auto_archive_duration", 1440)),
            invitable=True,
        )
        self._thread_for_message[mid] = mid
        message["thread"] = thread
        message["flags"] = message.get("flags", 0) | (1 << 5)  # HAS_THREAD
        response = self._register_thread(thread)
        await self._echo("THREAD_CREATE", {**response, "newly_created": True}, INTENT_GUILDS)
        return json_response(response, 201)

    async def _thread_without_message(self, request: web.Request) -> web.Response:
        parent, failure = self._channel_or_error(request, need=0)
        if failure:
            return failure
        assert parent is not None
        body = request[RECORD_KEY].json or {}
        problem = self._validate_thread_body(body)
        if problem:
            return problem
        thread_type = int(body.get("type", PRIVATE_THREAD))
        need = P.CREATE_PRIVATE_THREADS if thread_type == PRIVATE_THREAD else P.CREATE_PUBLIC_THREADS
        if self.enforce_permissions and self.permissions_for(self.bot_user_id, int(parent["id"])) & need != need:
            return error_response(403, 50013, "Missing Permissions")
        tid = self.snowflake()
        thread = self._thread_payload(
            parent,
            thread_id=tid,
            name=body["name"],
            thread_type=thread_type,
            auto_archive=body.get("auto_archive_duration", parent.get("default_auto_archive_duration", 1440)),
            invitable=body.get("invitable", True),
        )
        response = self._register_thread(thread)
        await self._echo("THREAD_CREATE", {**response, "newly_created": True}, INTENT_GUILDS)
        return json_response(response, 201)
