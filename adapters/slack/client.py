"""The Slack Web API client paperbot uses, and keeping secrets out of messages.

Retries are slack-sdk's own handlers: HTTP 429 (sleeping ``Retry-After``), 500/503, and
dropped connections. Nothing here ever formats a token into a string: a failed call is
described by :func:`error_code` (Slack's error code or the exception type).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import resource
from collections.abc import AsyncIterator

import aiohttp
from pydantic import SecretStr
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.async_client import AsyncWebClient

from bot import metrics
from bot.config import ConfigError, Settings

RATE_LIMIT_RETRIES = 5
SERVER_ERROR_RETRIES = 2
CONNECTION_RETRIES = 2
TIMEOUT_SECONDS = 30
#: HTTP connections of the shared session at most (:func:`connection_limit`)
MAX_CONNECTIONS = 1000

#: what a Web API or response_url call may raise besides bugs: Slack errors, network and timeouts
SEND_ERRORS: tuple[type[BaseException], ...] = (SlackApiError, aiohttp.ClientError, OSError, TimeoutError)


class SlackConfigError(ConfigError):
    """A missing or rejected Slack setting; the message names the variable, never its value."""


def secret(value: SecretStr | None) -> str | None:
    text = value.get_secret_value().strip() if value is not None else ""
    return text or None


def bot_token(settings: Settings) -> str:
    token = secret(settings.slack_bot_token)
    if token is None:
        raise SlackConfigError("SLACK_BOT_TOKEN is not set (the Bot User OAuth Token, xoxb-…).")
    return token


class PromptRateLimitRetryHandler(AsyncRateLimitErrorRetryHandler):
    """slack-sdk's 429 handler, waiting ``Retry-After`` plus up to 0.1 s instead of up to 1 s.

    The stock handler adds ``random()`` seconds to spread retries of workspace-wide limits;
    paperbot's 429s come from the per-channel posting limit (one message a second), where
    that jitter alone costs half a second per message of a thread (bench/fanout.py).
    """

    async def prepare_for_next_attempt_async(
        self, *, state: RetryState, request: HttpRequest, response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        if response is None:
            raise error  # type: ignore[misc]
        metrics.rate_limited.labels("slack").inc()
        state.next_attempt_requested = True
        header = next((v for k, v in response.headers.items() if k.lower() == "retry-after"), None)
        value = header[0] if isinstance(header, list) else header
        seconds = int(value) if value is not None and str(value).isdigit() else 1
        await asyncio.sleep(seconds + random.random() * 0.1)
        state.increment_current_attempt()


def make_client(settings: Settings, *, rate_limit_retries: int = RATE_LIMIT_RETRIES) -> AsyncWebClient:
    return AsyncWebClient(
        token=bot_token(settings),
        base_url=settings.slack_api_url,
        timeout=TIMEOUT_SECONDS,
        retry_handlers=[
            PromptRateLimitRetryHandler(max_retry_count=rate_limit_retries),
            AsyncServerErrorRetryHandler(max_retry_count=SERVER_ERROR_RETRIES),
            AsyncConnectionErrorRetryHandler(max_retry_count=CONNECTION_RETRIES),
        ],
    )


def connection_limit(wanted: int = MAX_CONNECTIONS) -> int:
    """Connections of the shared session: ``wanted``, at most half the process' open-file limit.

    A fan-out keeps about one request in flight per channel (each channel is paced from Slack's answer, so
    a request that queues for a connection stretches its channel's next gap by as long): aiohttp's
    default of 100 made a 1,000-channel fan-out queue whenever the round trips grew under load
    (bench/fanout.py). The other half of the file limit stays for the database and everything else.
    """
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    return wanted if soft == resource.RLIM_INFINITY else max(100, min(wanted, soft // 2))


def new_session(client: AsyncWebClient, connections: int | None = None) -> aiohttp.ClientSession:
    """An aiohttp session for ``client``'s calls (its timeout, :func:`connection_limit` connections)."""
    limit = connection_limit() if connections is None else connections
    return aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=limit),
                                 timeout=aiohttp.ClientTimeout(total=client.timeout))


@contextlib.asynccontextmanager
async def shared_session(client: AsyncWebClient, *, connections: int | None = None) -> AsyncIterator[AsyncWebClient]:
    """``client`` with one aiohttp session for all its calls while the block runs (slack-sdk opens a
    session per call otherwise: half the client's CPU per ``chat.postMessage`` in bench/fanout.py)."""
    session = new_session(client, connections)
    client.session = session
    try:
        yield client
    finally:
        client.session = None
        await session.close()


def error_code(exc: BaseException) -> str:
    """A short, secret-free description of a failed call: Slack's error code, or the exception type."""
    if isinstance(exc, SlackApiError):
        response = exc.response
        code = response.get("error") if response is not None else None
        status = getattr(response, "status_code", None)
        return str(code or f"http_{status}")
    return type(exc).__name__
