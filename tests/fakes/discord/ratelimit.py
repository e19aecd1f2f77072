"""Rate limits (a global limit, per-route buckets, one-shot 429s) and injected failures, answered like Discord.

A 429 carries ``Via: 1.1 google`` (added by the server for every answer; without it discord.py assumes a
Cloudflare ban and raises at once), a JSON body ``{"message", "retry_after", "global"}``, ``Retry-After`` and
``X-RateLimit-*`` headers. Requests answered with a 429 or an injected failure have no side effects.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections import deque
from typing import Any

from aiohttp import web

from .records import RecordedRequest
from .wire import error_response, json_response, pattern_to_regex


class RateLimits:
    def __init__(
        self, *, global_rate_per_second: float | None, bucket_limit: int, bucket_window: float, **rest: Any
    ) -> None:
        super().__init__(**rest)
        self.global_rate_per_second = global_rate_per_second
        self.bucket_limit = bucket_limit
        self.bucket_window = bucket_window
        self._channel_failures: dict[int, tuple[int, int | None]] = {}
        self._route_failures: list[dict[str, Any]] = []
        self._one_shot_limits: list[dict[str, Any]] = []
        self._buckets: dict[str, tuple[float, int]] = {}
        self._global_window: deque[float] = deque()

    def fail_channel(self, channel_id: int, status: int = 403, *, times: int | None = None) -> None:
        """Answer every request on ``/channels/{channel_id}/...`` with an error (403 Missing Access, 404 Unknown
        Channel, other statuses a generic body) ``times`` times (``None`` = always)."""
        self._channel_failures[channel_id] = (status, times)

    def fail_next(
        self,
        method: str | None,
        path_pattern: str,
        status: int = 500,
        *,
        code: int = 0,
        message: str | None = None,
        times: int = 1,
        body: dict[str, Any] | None = None,
    ) -> None:
        """Answer the next ``times`` matching requests with ``status`` and Discord's JSON error body."""
        self._route_failures.append(
            {
                "method": method,
                "rx": pattern_to_regex(path_pattern),
                "status": status,
                "body": body or {"message": message or f"{status}: Error", "code": code},
                "times": times,
            }
        )

    def rate_limit_next(
        self,
        n: int = 1,
        retry_after: float = 0.2,
        global_: bool = False,
        *,
        method: str | None = None,
        path_pattern: str = "**",
    ) -> None:
        """Answer the next ``n`` (matching) REST requests with a proper 429; they have no side effects."""
        self._one_shot_limits.append(
            {
                "n": n,
                "retry_after": retry_after,
                "global": global_,
                "method": method,
                "rx": pattern_to_regex(path_pattern),
            }
        )

    def _ratelimit_headers(self, bucket: str, limit: int, remaining: int, reset_after: float) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Remaining": str(max(remaining, 0)),
            "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": bucket,
        }

    def _too_many(self, retry_after: float, *, global_: bool, bucket: str, limit: int) -> web.Response:
        resp = json_response(
            {"message": "You are being rate limited.", "retry_after": retry_after, "global": global_}, 429
        )
        resp.headers["Retry-After"] = str(max(1, math.ceil(retry_after)))
        resp.headers["X-RateLimit-Scope"] = "global" if global_ else "user"
        if global_:
            resp.headers["X-RateLimit-Global"] = "true"
        else:
            resp.headers.update(self._ratelimit_headers(bucket, limit, 0, retry_after))
        return resp

    def _rate_limit(
        self, request: web.Request, record: RecordedRequest, canonical: str, *, interaction_route: bool
    ) -> tuple[web.Response | None, dict[str, str]]:
        """A 429 for this request, or ``None`` and the ``X-RateLimit-*`` headers of its bucket."""
        match_info = request.match_info
        loop_now = time.monotonic()
        bucket_hash = hashlib.sha1(f"{request.method} {canonical}".encode()).hexdigest()[:16]
        major = "+".join(
            match_info[k] for k in ("channel_id", "guild_id", "webhook_id", "webhook_token") if k in match_info
        )
        if interaction_route and "interaction_id" in match_info:
            major = match_info["interaction_id"]

        # Global limit (interaction endpoints are exempt, as on Discord)
        if self.global_rate_per_second and not interaction_route:
            window = self._global_window
            while window and loop_now - window[0] >= 1.0:
                window.popleft()
            if len(window) >= self.global_rate_per_second:
                retry = round(max(0.001, 1.0 - (loop_now - window[0])), 3)
                return self._too_many(retry, global_=True, bucket=bucket_hash, limit=self.bucket_limit), {}
            window.append(loop_now)

        # One-shot 429s
        for limit in self._one_shot_limits:
            if limit["n"] <= 0:
                continue
            if limit["method"] not in (None, "*") and limit["method"].upper() != request.method:
                continue
            if not limit["rx"].match(record.path):
                continue
            limit["n"] -= 1
            too_many = self._too_many(
                limit["retry_after"], global_=limit["global"], bucket=bucket_hash, limit=self.bucket_limit
            )
            return too_many, {}
        self._one_shot_limits = [x for x in self._one_shot_limits if x["n"] > 0]

        # Per-route bucket (fixed window), like Discord's X-RateLimit-* buckets
        key = f"{bucket_hash}:{major}"
        start, count = self._buckets.get(key, (loop_now, 0))
        if loop_now - start >= self.bucket_window:
            start, count = loop_now, 0
        reset_after = max(0.0, self.bucket_window - (loop_now - start))
        if count >= self.bucket_limit:
            too_many = self._too_many(round(reset_after, 3), global_=False, bucket=bucket_hash, limit=self.bucket_limit)
            return too_many, {}
        count += 1
        self._buckets[key] = (start, count)
        return None, self._ratelimit_headers(bucket_hash, self.bucket_limit, self.bucket_limit - count, reset_after)

    def _injected_failure(self, request: web.Request, record: RecordedRequest) -> web.Response | None:
        cid = request.match_info.get("channel_id")
        if cid is not None and cid.isdigit() and int(cid) in self._channel_failures:
            status, times = self._channel_failures[int(cid)]
            if times is not None:
                if times <= 1:
                    del self._channel_failures[int(cid)]
                else:
                    self._channel_failures[int(cid)] = (status, times - 1)
            return _status_error(status)
        for failure in self._route_failures:
            if failure["times"] <= 0:
                continue
            if failure["method"] not in (None, "*") and failure["method"].upper() != request.method:
                continue
            if failure["rx"].match(record.path):
                failure["times"] -= 1
                return json_response(failure["body"], failure["status"])
        return None


def _status_error(status: int) -> web.Response:
    if status == 403:
        return error_response(403, 50001, "Missing Access")
    if status == 404:
        return error_response(404, 10003, "Unknown Channel")
    if status == 401:
        return error_response(401, 0, "401: Unauthorized")
    return error_response(status, 0, f"{status}: Error")
