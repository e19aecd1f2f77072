"""Messages as Discord builds them: validation (50035 / 50006 bodies), mentions, attachments, edits."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from .state import World
from .wire import EPHEMERAL, LOADING, THREAD_TYPES, P, form_error, merge_errors, now_iso


class Messages(World):
    """Message objects: ``channel_messages[channel_id][message_id]`` holds every message as Discord stores it."""

    def __init__(self, **world: Any) -> None:
        super().__init__(**world)
        self.channel_messages: dict[int, dict[int, dict[str, Any]]] = {}

    @staticmethod
    def _validate_embed_url(url: Any, path: list[str], *, image: bool) -> dict[str, Any]:
        if url is None:
            return {}
        ok = isinstance(url, str) and (
            url.startswith(("http://", "https://")) or (image and url.startswith("attachment://"))
        )
        if ok and "://" in url and len(url.split("://", 1)[1]) > 0:
            return {}
        return form_error(path, "URL_TYPE_INVALID_URL", "Not a well formed URL.")

    def validate_message_payload(
        self, body: Mapping[str, Any], *, creating: bool, has_files: bool = False
    ) -> dict[str, Any] | None:
        """Discord's message validation; returns an error *body* (50035/50006) or ``None`` when valid."""
        errors: dict[str, Any] = {}
        content = body.get("content")
        if content is not None and len(str(content)) > 2000:
            merge_errors(errors, form_error(["content"], "BASE_TYPE_MAX_LENGTH", "Must be 2000 or fewer in length."))
        embeds = body.get("embeds") or []
        if len(embeds) > 10:
            merge_errors(errors, form_error(["embeds"], "BASE_TYPE_MAX_LENGTH", "Must be 10 or fewer in length."))
        total = 0
        for i, embed in enumerate(embeds):
            p = ["embeds", str(i)]
            limits = {"title": 256, "description": 4096}
            for key, limit in limits.items():
                value = embed.get(key)
                if value is not None:
                    total += len(str(value))
                    if len(str(value)) > limit:
                        merge_errors(
                            errors,
                            form_error([*p, key], "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length."),
                        )
            fields = embed.get("fields") or []
            if len(fields) > 25:
                merge_errors(
                    errors, form_error([*p, "fields"], "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
                )
            for j, fld in enumerate(fields):
                for key, limit in (("name", 256), ("value", 1024)):
                    value = fld.get(key)
                    if value is None or str(value) == "":
                        merge_errors(
                            errors,
                            form_error([*p, "fields", str(j), key], "BASE_TYPE_REQUIRED", "This field is required"),
                        )
                        continue
                    total += len(str(value))
                    if len(str(value)) > limit:
                        merge_errors(
                            errors,
                            form_error(
                                [*p, "fields", str(j), key],
                                "BASE_TYPE_MAX_LENGTH",
                                f"Must be {limit} or fewer in length.",
                            ),
                        )
            footer = embed.get("footer") or {}
            author = embed.get("author") or {}
            total += len(str(footer.get("text") or "")) + len(str(author.get("name") or ""))
            if len(str(footer.get("text") or "")) > 2048:
                merge_errors(
                    errors,
                    form_error([*p, "footer", "text"], "BASE_TYPE_MAX_LENGTH", "Must be 2048 or fewer in length."),
                )
            if len(str(author.get("name") or "")) > 256:
                merge_errors(
                    errors,
                    form_error([*p, "author", "name"], "BASE_TYPE_MAX_LENGTH", "Must be 256 or fewer in length."),
                )
            merge_errors(errors, self._validate_embed_url(embed.get("url"), [*p, "url"], image=False))
            merge_errors(errors, self._validate_embed_url(author.get("url"), [*p, "author", "url"], image=False))
            for key in ("image", "thumbnail"):
                sub = embed.get(key) or {}
                merge_errors(errors, self._validate_embed_url(sub.get("url"), [*p, key, "url"], image=True))
            merge_errors(
                errors, self._validate_embed_url(author.get("icon_url"), [*p, "author", "icon_url"], image=True)
            )
            merge_errors(
                errors, self._validate_embed_url(footer.get("icon_url"), [*p, "footer", "icon_url"], image=True)
            )
        if total > 6000:
            merge_errors(
                errors, form_error(["embeds"], "MAX_EMBED_SIZE_EXCEEDED", "Embed size exceeds maximum size of 6000")
            )
        allowed = body.get("allowed_mentions")
        if isinstance(allowed, Mapping):
            parse = allowed.get("parse") or []
            for kind in ("users", "roles"):
                if kind in parse and allowed.get(kind):
                    merge_errors(
                        errors,
                        form_error(
                            ["allowed_mentions"],
                            "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE",
                            f'parse:["{kind}"] and {kind}: [ids] are mutually exclusive.',
                        ),
                    )
        nonce = body.get("nonce")
        if nonce is not None and len(str(nonce)) > 25:
            merge_errors(errors, form_error(["nonce"], "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length."))
        if errors:
            return {"message": "Invalid Form Body", "code": 50035, "errors": errors}
        if creating and not (
            content or embeds or has_files or body.get("components") or body.get("sticker_ids") or body.get("poll")
        ):
            return {"message": "Cannot send an empty message", "code": 50006}
        return None

    @staticmethod
    def _pings_everyone(content: str, allowed: Mapping[str, Any] | None) -> bool:
        """Whether ``@everyone``/``@here`` in ``content`` pings (no ``allowed_mentions`` = Discord's default, all)."""
        if "@everyone" not in content and "@here" not in content:
            return False
        return allowed is None or "everyone" in (allowed.get("parse") or [])

    def _attachment_payloads(self, files: list[dict[str, Any]], body: Mapping[str, Any]) -> list[dict[str, Any]]:
        meta = {str(a.get("id")): a for a in body.get("attachments") or []}
        out = []
        for index, f in enumerate(files):
            aid = self.snowflake()
            desc = meta.get(str(index), {})
            out.append(
                {
                    "id": str(aid),
                    "filename": f["filename"] or f"file{index}",
                    "size": f["size"],
                    "url": f"https://cdn.discordapp.com/attachments/0/{aid}/{f['filename']}",
                    "proxy_url": f"https://media.discordapp.net/attachments/0/{aid}/{f['filename']}",
                    "content_type": f["content_type"],
                    "description": desc.get("description"),
                }
            )
        return out

    def build_message(
        self,
        channel_id: int,
        body: Mapping[str, Any],
        *,
        author_id: int | None = None,
        files: list[dict[str, Any]] | None = None,
        message_type: int | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """A full message object as Discord returns it from REST (no ``guild_id``/``member``)."""
        mid = self.snowflake()
        content = str(body.get("content") or "")
        channel = self.channels.get(channel_id, {})
        guild = self._guild_of_channel(channel) if channel else None
        reference = body.get("message_reference")
        referenced = None
        if reference and reference.get("message_id"):
            ref_channel = int(reference.get("channel_id") or channel_id)
            referenced = self.channel_messages.get(ref_channel, {}).get(int(reference["message_id"]))
        author = int(author_id or self.bot_user_id)
        can_everyone = author != self.bot_user_id or bool(
            self.permissions_for(self.bot_user_id, channel_id) & P.MENTION_EVERYONE
        )
        embeds = []
        for embed in body.get("embeds") or []:
            embed = dict(embed)
            embed.setdefault("type", "rich")
            embed.setdefault("content_scan_version", 0)
            embeds.append(embed)
        message: dict[str, Any] = {
            "id": str(mid),
            "type": message_type if message_type is not None else (19 if referenced else 0),
            "channel_id": str(channel_id),
            "author": self.user_payload(author),
            "content": content,
            "timestamp": now_iso(),
            "edited_timestamp": None,
            "tts": bool(body.get("tts", False)),
            "mention_everyone": self._pings_everyone(content, body.get("allowed_mentions")) and can_everyone,
            "mentions": [
                self.user_payload(u) for u in dict.fromkeys(re.findall(r"<@!?(\d+)>", content)) if int(u) in self.users
            ],
            "mention_roles": [r for r in re.findall(r"<@&(\d+)>", content) if guild and int(r) in guild.roles],
            "attachments": self._attachment_payloads(files or [], body),
            "embeds": embeds,
            "pinned": False,
            "flags": int(body.get("flags") or 0),
            "components": body.get("components") or [],
        }
        if body.get("nonce") is not None:
            message["nonce"] = body["nonce"]
        if channel.get("type") in THREAD_TYPES:
            message["position"] = channel.get("total_message_sent", 0)
        if reference:
            message["message_reference"] = {
                "type": reference.get("type", 0),
                "channel_id": str(reference.get("channel_id") or channel_id),
                "message_id": str(reference["message_id"]) if reference.get("message_id") else None,
                "guild_id": str(guild.id) if guild else None,
            }
            message["referenced_message"] = referenced
        if extra:
            message.update(extra)
        self.channel_messages.setdefault(channel_id, {})[mid] = message
        if channel:
            channel["last_message_id"] = str(mid)
            if channel.get("type") in THREAD_TYPES:
                channel["message_count"] = channel.get("message_count", 0) + 1
                channel["total_message_sent"] = channel.get("total_message_sent", 0) + 1
        return message

    @staticmethod
    def _public(message: Mapping[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in message.items() if not k.startswith("_")}

    def _apply_edit(self, message: dict[str, Any], body: Mapping[str, Any]) -> None:
        for key in ("content", "embeds", "components", "flags", "attachments"):
            if key in body:
                value = body[key]
                if key == "content":
                    value = value or ""
                elif key == "flags":
                    value = (int(value or 0) & ~LOADING) | (message.get("flags", 0) & EPHEMERAL)
                elif key == "embeds":
                    value = [{"type": "rich", **e} for e in (value or [])]
                elif key == "attachments":
                    keep = {str(a.get("id")) for a in value or []}
                    value = [a for a in message.get("attachments", []) if a["id"] in keep]
                message[key] = value
        message["flags"] = message.get("flags", 0) & ~LOADING
        message["edited_timestamp"] = now_iso()
