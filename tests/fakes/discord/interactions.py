"""Interactions: building slash-command / autocomplete payloads, handing them to the bot, and the routes it
answers through (callback, followups, the original response)."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from .records import InteractionRecord
from .rest import Rest
from .server import Handler
from .wire import (
    ALLOWED_CALLBACKS,
    APPLICATION_COMMAND,
    AUTOCOMPLETE,
    BOOLEAN,
    CHANNEL,
    DM,
    EPHEMERAL,
    INTEGER,
    LOADING,
    MENTIONABLE,
    NUMBER,
    RECORD_KEY,
    ROLE,
    STRING,
    SUB_COMMAND,
    SUB_COMMAND_GROUP,
    USER,
    P,
    error_response,
    form_error,
    form_error_response,
    json_response,
    perm_int,
)


class Interactions(Rest):
    """``interactions`` holds every interaction built here; ``callbacks`` the bot's answers by interaction id."""

    def __init__(self, *, callback_deadline: float, **rest: Any) -> None:
        super().__init__(**rest)
        self.callback_deadline = callback_deadline
        self.interactions: dict[int, InteractionRecord] = {}
        self.callbacks: dict[int, dict[str, Any]] = {}
        self.interaction_messages: list[dict[str, Any]] = []

    def _routes(self) -> list[tuple[str, str, Handler]]:
        return [
            *super()._routes(),
            ("POST", "/interactions/{interaction_id}/{interaction_token}/callback", self._interaction_callback),
            ("POST", "/webhooks/{webhook_id}/{webhook_token}", self._followup_create),
            ("GET", "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}", self._webhook_message_get),
            ("PATCH", "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}", self._webhook_message_edit),
        ]

    # ------------------------------------------------------------------ builders

    def _option_types(self, definition: list[dict[str, Any]] | None) -> dict[str, int]:
        return {o["name"]: o["type"] for o in definition or [] if o.get("type") not in (SUB_COMMAND, SUB_COMMAND_GROUP)}

    @staticmethod
    def _infer_type(value: Any) -> int:
        if isinstance(value, bool):
            return BOOLEAN
        if isinstance(value, int):
            return INTEGER
        if isinstance(value, float):
            return NUMBER
        return STRING

    def _build_options(
        self,
        options: Mapping[str, Any],
        definition: list[dict[str, Any]] | None,
        resolved: dict[str, dict[str, Any]],
        *,
        guild_id: int | None,
        channel_id: int,
        focused: str | None,
    ) -> list[dict[str, Any]]:
        types = self._option_types(definition)
        out = []
        for name, value in options.items():
            otype = types.get(name) or self._infer_type(value)
            opt: dict[str, Any] = {"name": name, "type": otype}
            if name == focused:
                opt["value"] = str(value)
                opt["focused"] = True
            elif otype in (USER, MENTIONABLE) and int(value) in self.users:
                uid = int(value)
                opt["value"] = str(uid)
                resolved.setdefault("users", {})[str(uid)] = self.user_payload(uid)
                if guild_id is not None and uid in self.guilds[guild_id].members:
                    member = self.member_payload(uid, guild_id=guild_id, with_user=False, channel_id=channel_id)
                    resolved.setdefault("members", {})[str(uid)] = member
            elif otype in (ROLE, MENTIONABLE):
                opt["value"] = str(value)
                if guild_id is not None and int(value) in self.guilds[guild_id].roles:
                    resolved.setdefault("roles", {})[str(value)] = self.guilds[guild_id].roles[int(value)]
            elif otype == CHANNEL:
                opt["value"] = str(value)
                if int(value) in self.channels:
                    ch = self.channel_payload(int(value))
                    ch["permissions"] = str(self.permissions_for(self.user_id, int(value)))
                    resolved.setdefault("channels", {})[str(value)] = ch
            elif otype == INTEGER:
                opt["value"] = int(value)
            elif otype == NUMBER:
                opt["value"] = float(value)
            elif otype == BOOLEAN:
                opt["value"] = bool(value)
            else:
                opt["value"] = str(value)
            out.append(opt)
        if focused is not None and focused not in options:
            out.append({"name": focused, "type": types.get(focused, STRING), "value": "", "focused": True})
        return out

    def build_interaction(
        self,
        interaction_type: int,
        data: dict[str, Any] | None,
        *,
        user_id: int | None = None,
        channel_id: int | None = None,
        guild_id: int | None = None,
        member_permissions: int | str | None = None,
        app_permissions: int | str | None = None,
        locale: str = "en-US",
        message: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Any INTERACTION_CREATE payload; registers it so callbacks/followups for its id/token are accepted."""
        uid = user_id or self.user_id
        cid = channel_id or self.channel_id
        channel = self.channels.get(cid)
        is_dm = channel is not None and channel["type"] == DM
        if channel is None:
            raise KeyError(f"unknown channel {cid}; add it with add_channel()/dm_channel() first")
        gid = None if is_dm else (guild_id or int(channel["guild_id"]))
        iid = self.snowflake()
        token = "aW50ZXJhY3Rpb246" + secrets.token_urlsafe(96)
        payload: dict[str, Any] = {
            "id": str(iid),
            "application_id": str(self.application_id),
            "type": interaction_type,
            "token": token,
            "version": 1,
            "locale": locale,
            "entitlements": [],
            "entitlement_sku_ids": [],
            "attachment_size_limit": 10 * 1024 * 1024,
            "channel_id": str(cid),
        }
        if data is not None:
            payload["data"] = data
        if message is not None:
            payload["message"] = message
        channel_obj = self.channel_payload(cid)
        if gid is not None:
            guild = self.guilds[gid]
            member = self.member_payload(uid, guild_id=gid, channel_id=cid)
            if member_permissions is not None:
                member["permissions"] = str(perm_int(member_permissions))
            app_perms = self.permissions_for(self.bot_user_id, cid) if app_permissions is None else app_permissions
            channel_obj["permissions"] = member["permissions"]
            payload.update(
                guild_id=str(gid),
                guild={"id": str(gid), "locale": guild.locale, "features": []},
                guild_locale=guild.locale,
                member=member,
                app_permissions=str(perm_int(app_perms)),
                authorizing_integration_owners={"0": str(gid)},
                context=0,
            )
        else:
            payload.update(
                user=self.user_payload(uid),
                app_permissions=str(perm_int(app_permissions) if app_permissions is not None else 0),
                authorizing_integration_owners={"0": str(self.owner_id)},
                context=1,
            )
            channel_obj["permissions"] = str(
                P.VIEW_CHANNEL | P.SEND_MESSAGES | P.EMBED_LINKS | P.ATTACH_FILES | P.READ_MESSAGE_HISTORY
            )
        payload["channel"] = channel_obj
        self.interactions[iid] = InteractionRecord(
            id=iid, token=token, type=interaction_type, payload=payload, created=time.monotonic()
        )
        return payload

    def _command_data(
        self,
        name: str,
        subcommand: str | None,
        group: str | None,
        options: Mapping[str, Any] | None,
        *,
        guild_id: int | None,
        channel_id: int,
        focused: str | None,
    ) -> dict[str, Any]:
        if subcommand and " " in subcommand and group is None:
            group, subcommand = subcommand.split(" ", 1)
        command = self.find_command(name, guild_id)
        definition = command["options"] if command else None
        if group:
            group_def = next((o for o in definition or [] if o["name"] == group), None)
            definition = group_def.get("options") if group_def else None
        if subcommand:
            sub_def = next((o for o in definition or [] if o["name"] == subcommand), None)
            definition = sub_def.get("options") if sub_def else None
        resolved: dict[str, dict[str, Any]] = {}
        leaf = self._build_options(
            options or {}, definition, resolved, guild_id=guild_id, channel_id=channel_id, focused=focused
        )
        if subcommand:
            leaf = [{"name": subcommand, "type": SUB_COMMAND, "options": leaf}]
        if group:
            leaf = [{"name": group, "type": SUB_COMMAND_GROUP, "options": leaf}]
        data: dict[str, Any] = {
            "id": command["id"] if command else str(self.snowflake()),
            "name": name,
            "type": 1,
            "options": leaf,
        }
        if command and command.get("guild_id"):
            data["guild_id"] = command["guild_id"]
        elif command is None and guild_id is not None:
            data["guild_id"] = str(guild_id)  # unsynced: assume a guild command (discord.py looks it up by guild)
        if resolved:
            data["resolved"] = resolved
        return data

    def slash_command(
        self,
        name: str,
        subcommand: str | None = None,
        options: Mapping[str, Any] | None = None,
        *,
        group: str | None = None,
        user_id: int | None = None,
        channel_id: int | None = None,
        guild_id: int | None = None,
        member_permissions: int | str | None = None,
        app_permissions: int | str | None = None,
        locale: str = "en-US",
    ) -> dict[str, Any]:
        """Type 2 APPLICATION_COMMAND payload. ``subcommand="schedule set"`` (or ``group=``) makes a group.

        Option types come from the synced command when there is one (else str/int/float/bool are inferred).
        ``member.permissions`` / ``app_permissions`` are computed from roles and overwrites unless overridden.
        """
        cid = channel_id or self.channel_id
        channel = self.channels[cid]
        gid = None if channel["type"] == DM else (guild_id or int(channel["guild_id"]))
        data = self._command_data(name, subcommand, group, options, guild_id=gid, channel_id=cid, focused=None)
        return self.build_interaction(
            APPLICATION_COMMAND,
            data,
            user_id=user_id,
            channel_id=cid,
            guild_id=gid,
            member_permissions=member_permissions,
            app_permissions=app_permissions,
            locale=locale,
        )

    def autocomplete(
        self,
        name: str,
        subcommand: str | None = None,
        options: Mapping[str, Any] | None = None,
        *,
        focused: str | None = None,
        group: str | None = None,
        user_id: int | None = None,
        channel_id: int | None = None,
        guild_id: int | None = None,
        member_permissions: int | str | None = None,
        locale: str = "en-US",
    ) -> dict[str, Any]:
        """Type 4 APPLICATION_COMMAND_AUTOCOMPLETE payload; ``options[focused]`` is the partial input (sent as a
        string). ``focused`` defaults to the last option given."""
        if focused is None:
            if not options:
                raise ValueError("autocomplete() needs options or focused=")
            focused = list(options)[-1]
        cid = channel_id or self.channel_id
        channel = self.channels[cid]
        gid = None if channel["type"] == DM else (guild_id or int(channel["guild_id"]))
        data = self._command_data(name, subcommand, group, options, guild_id=gid, channel_id=cid, focused=focused)
        return self.build_interaction(
            AUTOCOMPLETE,
            data,
            user_id=user_id,
            channel_id=cid,
            guild_id=gid,
            member_permissions=member_permissions,
            locale=locale,
        )

    async def invoke(self, interaction: dict[str, Any]) -> int:
        """Dispatch an interaction (INTERACTION_CREATE) to the connected bot; returns the interaction id."""
        await self.wait_ready()
        iid = int(interaction["id"])
        record = self.interactions.get(iid)
        if record is not None:
            record.created = time.monotonic()  # the 3 s callback deadline starts now
        await self.dispatch("INTERACTION_CREATE", interaction)
        return iid

    def _interaction_record(self, interaction: int | str | Mapping[str, Any]) -> InteractionRecord:
        iid = int(interaction["id"]) if isinstance(interaction, Mapping) else int(interaction)
        return self.interactions[iid]

    async def wait_callback(
        self,
        interaction_id: int | str | Mapping[str, Any],
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> dict[str, Any]:
        """Wait for the bot's interaction response and return its body (``{"type": 4, "data": {...}}``)."""
        record = self._interaction_record(interaction_id)
        await asyncio.wait_for(record.event.wait(), timeout)
        assert record.callback is not None
        return record.callback

    def original_response(self, interaction_id: int | str | Mapping[str, Any]) -> dict[str, Any] | None:
        """Current state of the interaction's original response message (``None`` if there is none)."""
        record = self._interaction_record(interaction_id)
        return None if record.original is None else self._public(record.original)

    # ------------------------------------------------------------------ routes

    def _interaction_message(
        self, record: InteractionRecord, data: Mapping[str, Any], files: list[dict[str, Any]], *, flags: int
    ) -> dict[str, Any]:
        cid = int(record.payload["channel_id"])
        user = record.payload.get("member", {}).get("user") or record.payload.get("user")
        body = dict(data)
        body["flags"] = flags
        command = record.payload.get("data", {})
        message = self.build_message(
            cid,
            body,
            files=files,
            message_type=20,
            extra={
                "webhook_id": str(self.application_id),
                "application_id": str(self.application_id),
                "interaction_metadata": {
                    "id": record.payload["id"],
                    "type": record.type,
                    "user": user,
                    "authorizing_integration_owners": record.payload.get("authorizing_integration_owners", {}),
                    "name": command.get("name"),
                    "command_type": command.get("type", 1),
                },
            },
        )
        self.interaction_messages.append(message)
        return message

    async def _interaction_callback(self, request: web.Request) -> web.Response:
        iid = int(request.match_info["interaction_id"])
        record = self.interactions.get(iid)
        if record is None or record.token != request.match_info["interaction_token"]:
            return error_response(404, 10062, "Unknown interaction")
        if time.monotonic() - record.created > self.callback_deadline:
            return error_response(404, 10062, "Unknown interaction")
        if record.callback is not None:
            return error_response(400, 40060, "Interaction has already been acknowledged.")
        body = request[RECORD_KEY].json or {}
        rtype = body.get("type")
        if rtype not in ALLOWED_CALLBACKS.get(record.type, set()):
            return form_error_response(
                form_error(["type"], "INTERACTION_RESPONSE_TYPE_INVALID", "Invalid interaction response type")
            )
        data = body.get("data") or {}
        files = request[RECORD_KEY].files
        if rtype in (4, 7):
            problem = self.validate_message_payload(data, creating=rtype == 4, has_files=bool(files))
            if problem:
                return json_response(problem, 400)
        if rtype == 8:
            choices = data.get("choices")
            if not isinstance(choices, list) or len(choices) > 25:
                return form_error_response(
                    form_error(["data", "choices"], "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
                )
            for i, choice in enumerate(choices):
                if not 1 <= len(str(choice.get("name", ""))) <= 100:
                    return form_error_response(
                        form_error(
                            ["data", "choices", str(i), "name"],
                            "BASE_TYPE_BAD_LENGTH",
                            "Must be between 1 and 100 in length.",
                        )
                    )
        record.callback = body
        self.callbacks[iid] = body
        flags = int(data.get("flags") or 0)
        interaction_info: dict[str, Any] = {"id": str(iid), "type": record.type}
        resource: dict[str, Any] = {"type": rtype}
        if rtype == 4:
            record.original = self._interaction_message(record, data, files, flags=flags)
            resource["message"] = self._public(record.original)
        elif rtype == 5:
            record.original = self._interaction_message(
                record, {"content": ""}, [], flags=(flags & EPHEMERAL) | LOADING
            )
            record.loading = True
        elif rtype == 7 and record.payload.get("message"):
            msg = record.payload["message"]
            stored = self.channel_messages.get(int(msg["channel_id"]), {}).get(int(msg["id"]))
            if stored is not None:
                self._apply_edit(stored, data)
                resource["message"] = self._public(stored)
        if record.original is not None:
            interaction_info.update(
                response_message_id=record.original["id"],
                response_message_loading=record.loading,
                response_message_ephemeral=bool(record.original["flags"] & EPHEMERAL),
            )
            if not record.original["flags"] & EPHEMERAL:
                await self._echo_message(record.original)
        record.event.set()
        if request.query.get("with_response", "").lower() not in ("1", "true"):
            return web.Response(status=204)
        return json_response({"interaction": interaction_info, "resource": resource})

    def _webhook_interaction(self, request: web.Request) -> tuple[InteractionRecord | None, web.Response | None]:
        token = request.match_info["webhook_token"]
        if request.match_info["webhook_id"] != str(self.application_id):
            return None, error_response(404, 10015, "Unknown Webhook")
        record = next((r for r in self.interactions.values() if r.token == token), None)
        if record is None or time.monotonic() - record.created > 15 * 60:
            return None, error_response(401, 50027, "Invalid Webhook Token")
        if record.callback is None:
            return None, error_response(404, 10015, "Unknown Webhook")
        return record, None

    async def _followup_create(self, request: web.Request) -> web.Response:
        record, failure = self._webhook_interaction(request)
        if failure:
            return failure
        assert record is not None
        body = request[RECORD_KEY].json or {}
        files = request[RECORD_KEY].files
        problem = self.validate_message_payload(body, creating=True, has_files=bool(files))
        if problem:
            return json_response(problem, 400)
        if record.loading and record.original is not None:
            # The first followup after a deferred (type 5) response replaces the "thinking..." message; the
            # ephemeral flag set at defer time wins.
            self._apply_edit(record.original, {**body, "flags": record.original["flags"] & EPHEMERAL})
            record.loading = False
            message = record.original
        else:
            message = self._interaction_message(record, body, files, flags=int(body.get("flags") or 0))
        record.followups.append(message)
        if request.query.get("wait", "").lower() in ("1", "true"):
            return json_response(self._public(message))
        return web.Response(status=204)

    def _webhook_message(
        self, request: web.Request
    ) -> tuple[InteractionRecord | None, dict[str, Any] | None, web.Response | None]:
        record, failure = self._webhook_interaction(request)
        if failure:
            return None, None, failure
        assert record is not None
        mid = request.match_info["message_id"]
        if mid == "@original":
            message = record.original
        else:
            message = next((m for m in record.followups if m["id"] == mid), None)
        if message is None:
            return record, None, error_response(404, 10008, "Unknown Message")
        return record, message, None

    async def _webhook_message_get(self, request: web.Request) -> web.Response:
        _, message, failure = self._webhook_message(request)
        return failure or json_response(self._public(message or {}))

    async def _webhook_message_edit(self, request: web.Request) -> web.Response:
        record, message, failure = self._webhook_message(request)
        if failure:
            return failure
        assert record is not None and message is not None
        body = request[RECORD_KEY].json or {}
        problem = self.validate_message_payload(body, creating=False)
        if problem:
            return json_response(problem, 400)
        self._apply_edit(message, body)
        if message is record.original:
            record.loading = False
        return json_response(self._public(message))
