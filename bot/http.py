"""HTTP for the bot: one shared ``httpx.AsyncClient`` and a GET that retries.

``get_with_retries`` retries connection errors, timeouts, 5xx and 429 with exponential
back-off, honours ``Retry-After`` (seconds or an HTTP date, capped), and ends in a
:class:`FetchError` that names the request and what went wrong. Any other status is
not retried either: a 4xx other than 429 fails at once.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email.utils
from collections.abc import Awaitable, Callable, Mapping
from importlib import metadata

import httpx

DEFAULT_TIMEOUT = httpx.Timeout(20.0, connect=10.0)
#: The longest wait a ``Retry-After`` header can ask for; longer asks are cut to this.
MAX_RETRY_AFTER = 60.0
#: The longest exponential back-off between two attempts.
MAX_BACKOFF = 30.0

Sleep = Callable[[float], Awaitable[None]]
Params = Mapping[str, str | int]

_shared: httpx.AsyncClient | None = None


class FetchError(Exception):
    """Getting a digest failed; the message is fit to show as it is.

    ``url`` is the request URL (or a file path), ``status`` the last HTTP status if any.
    """

    def __init__(self, message: str, *, url: str = "", status: int | None = None) -> None:
        super().__init__(message)
        self.url = url
        self.status = status


def version() -> str:
    try:
        return metadata.version("paperbot")
    except metadata.PackageNotFoundError:
        return "0.0.0"


def user_agent() -> str:
    return f"paperbot/{version()} (+https://github.com/paperbot)"


def make_client(
    transport: httpx.AsyncBaseTransport | None = None,
    timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
) -> httpx.AsyncClient:
    """A client with the bot's User-Agent, timeouts and redirect following."""
    return httpx.AsyncClient(
        transport=transport,
        timeout=timeout,
        headers={"User-Agent": user_agent()},
        follow_redirects=True,
    )


def shared_client() -> httpx.AsyncClient:
    """The process-wide client, created on first use (in the running event loop)."""
    global _shared
    if _shared is None or _shared.is_closed:
        _shared = make_client()
    return _shared


async def aclose_shared() -> None:
    """Close the shared client; the next :func:`shared_client` call makes a new one."""
    global _shared
    client, _shared = _shared, None
    if client is not None:
        await client.aclose()


def retry_after(value: str | None, *, now: dt.datetime | None = None) -> float | None:
    """Seconds to wait for a ``Retry-After`` value (delta-seconds or HTTP date); ``None`` if unusable."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - (now or dt.datetime.now(dt.UTC))).total_seconds())


def _retryable_status(status: int) -> bool:
    return status == 429 or 500 <= status <= 599


def _describe(exc: httpx.RequestError) -> str:
    text = str(exc)
    return f"{type(exc).__name__} ({text})" if text else type(exc).__name__


async def get_with_retries(
    client: httpx.AsyncClient,
    url: str,
    params: Params | None = None,
    *,
    attempts: int = 4,
    backoff: float = 0.5,
    max_backoff: float = MAX_BACKOFF,
    max_retry_after: float = MAX_RETRY_AFTER,
    sleep: Sleep = asyncio.sleep,
) -> httpx.Response:
    """GET ``url``; a 2xx/3xx response is returned, anything else ends in :class:`FetchError`.

    Waits ``backoff * 2**(n-1)`` seconds (at most ``max_backoff``) after failed attempt
    ``n``, or what ``Retry-After`` asks for (at most ``max_retry_after``). ``backoff=0``
    or a recording ``sleep`` make tests instant.
    """
    if attempts < 1:
        raise ValueError("attempts must be at least 1")
    try:
        request = client.build_request("GET", url, params=params)
    except httpx.InvalidURL as exc:
        raise FetchError(f"GET {url} failed: invalid URL ({exc})", url=url) from exc
    where = str(request.url)
    for attempt in range(1, attempts + 1):
        delay = min(max_backoff, backoff * 2 ** (attempt - 1))
        try:
            response = await client.send(request)
        except (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError) as exc:
            failure, status = _describe(exc), None
        except httpx.RequestError as exc:  # unsupported scheme, proxy trouble, …: retrying won't help
            raise FetchError(f"GET {where} failed: {_describe(exc)}", url=where) from exc
        else:
            status = response.status_code
            if status < 400:
                return response
            failure = f"HTTP {status}"
            if not _retryable_status(status):
                raise FetchError(f"GET {where} failed: {failure}{_detail(response)}", url=where, status=status)
            asked = retry_after(response.headers.get("Retry-After"))
            if asked is not None:
                delay = min(asked, max_retry_after)
        if attempt < attempts:
            await sleep(delay)
    plural = "attempt" if attempts == 1 else "attempts"
    raise FetchError(f"GET {where} failed: {failure} after {attempts} {plural}", url=where, status=status)


def _detail(response: httpx.Response) -> str:
    """A short excerpt of an error body, e.g. the API's ``{"error": "..."}`` message."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        text = body["error"]
    else:
        text = response.text if response.headers.get("content-type", "").startswith("text/plain") else ""
    text = " ".join(text.split())[:200]
    return f": {text}" if text else ""
