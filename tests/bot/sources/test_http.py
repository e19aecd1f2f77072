"""bot.http: the shared client and get_with_retries, through MockTransport and a real socket."""

from __future__ import annotations

import datetime as dt
import email.utils
import re
import time
from collections.abc import Callable

import httpx
import pytest

from bot import http
from bot.http import FetchError, get_with_retries, make_client, retry_after
from tests.bot.sources.conftest import Loopback, SleepRecorder

URL = "https://hf.test/api/daily_papers"


def scripted(*answers: int | Exception | httpx.Response) -> tuple[httpx.MockTransport, list[httpx.Request]]:
    """A transport answering each request with the next status, exception or response."""
    seen: list[httpx.Request] = []
    queue = list(answers)

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        answer = queue.pop(0)
        if isinstance(answer, Exception):
            raise answer
        if isinstance(answer, httpx.Response):
            return answer
        return httpx.Response(answer, text="body")

    return httpx.MockTransport(handler), seen


async def test_client_sends_user_agent_and_has_timeouts() -> None:
    transport, seen = scripted(200)
    async with make_client(transport, timeout=3.0) as client:
        await get_with_retries(client, URL)
        assert client.timeout.read == 3.0
    assert re.fullmatch(r"paperbot/\S+ \(\+https://github\.com/paperbot\)", seen[0].headers["User-Agent"])
    assert http.version() != ""


async def test_default_timeouts() -> None:
    async with make_client() as client:
        assert client.timeout.connect == 10.0
        assert client.timeout.read == 20.0


async def test_shared_client_is_one_per_process_until_closed() -> None:
    first = http.shared_client()
    assert http.shared_client() is first
    await http.aclose_shared()
    assert first.is_closed
    second = http.shared_client()
    assert second is not first
    await http.aclose_shared()
    await http.aclose_shared()  # closing twice is harmless


async def test_params_are_part_of_the_url_and_the_error(sleeps: SleepRecorder) -> None:
    transport, seen = scripted(503, 503, 503, 503)
    async with make_client(transport) as client:
        with pytest.raises(FetchError) as info:
            await get_with_retries(client, URL, {"date": "2024-06-28"}, backoff=1.0, sleep=sleeps)
    assert str(info.value) == f"GET {URL}?date=2024-06-28 failed: HTTP 503 after 4 attempts"
    assert info.value.status == 503
    assert info.value.url == f"{URL}?date=2024-06-28"
    assert len(seen) == 4
    assert sleeps.delays == [1.0, 2.0, 4.0]  # exponential; no sleep after the last attempt


async def test_backoff_is_capped(sleeps: SleepRecorder) -> None:
    transport, _ = scripted(500, 500, 500, 500, 200)
    async with make_client(transport) as client:
        response = await get_with_retries(client, URL, attempts=5, backoff=3.0, max_backoff=10.0, sleep=sleeps)
    assert response.status_code == 200
    assert sleeps.delays == [3.0, 6.0, 10.0, 10.0]


@pytest.mark.parametrize(
    "error",
    [httpx.ConnectError("refused"), httpx.ReadTimeout("timed out"), httpx.RemoteProtocolError("peer closed")],
)
async def test_transport_errors_are_retried(error: Exception, sleeps: SleepRecorder) -> None:
    transport, seen = scripted(error, 200)
    async with make_client(transport) as client:
        response = await get_with_retries(client, URL, sleep=sleeps)
    assert response.status_code == 200
    assert len(seen) == 2


async def test_transport_error_message_after_last_attempt() -> None:
    transport, _ = scripted(httpx.ConnectError("refused"), httpx.ConnectError("refused"))
    async with make_client(transport) as client:
        with pytest.raises(
            FetchError, match=r"^GET https://hf\.test/api/daily_papers failed: ConnectError \(refused\)"
        ):
            await get_with_retries(client, URL, attempts=2, backoff=0)


async def test_client_errors_are_not_retried() -> None:
    answer = httpx.Response(400, json={"error": "Invalid date"})
    transport, seen = scripted(answer)
    async with make_client(transport) as client:
        with pytest.raises(FetchError) as info:
            await get_with_retries(client, URL, {"date": "2030-01-01"}, backoff=0)
    assert len(seen) == 1
    assert info.value.status == 400
    assert str(info.value) == f"GET {URL}?date=2030-01-01 failed: HTTP 400: Invalid date"


async def test_unsupported_scheme_fails_at_once() -> None:
    async with make_client() as client:
        with pytest.raises(FetchError, match=r"^GET ftp://example\.org/x failed: UnsupportedProtocol"):
            await get_with_retries(client, "ftp://example.org/x", backoff=0)


async def test_retry_after_is_capped(sleeps: SleepRecorder) -> None:
    transport, _ = scripted(httpx.Response(429, headers={"Retry-After": "3600"}), 200)
    async with make_client(transport) as client:
        await get_with_retries(client, URL, max_retry_after=60.0, sleep=sleeps)
    assert sleeps.delays == [60.0]


async def test_429_without_retry_after_backs_off(sleeps: SleepRecorder) -> None:
    transport, _ = scripted(429, 200)
    async with make_client(transport) as client:
        await get_with_retries(client, URL, backoff=0.25, sleep=sleeps)
    assert sleeps.delays == [0.25]


def _http_date(when: dt.datetime) -> str:
    return email.utils.format_datetime(when, usegmt=True)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("7", lambda now: 7.0),
        (" 0 ", lambda now: 0.0),
        ("soon", lambda now: None),
        ("", lambda now: None),
        (None, lambda now: None),
        ("-5", lambda now: None),
    ],
)
def test_retry_after_seconds(value: str | None, expected: Callable[[dt.datetime], float | None]) -> None:
    now = dt.datetime(2024, 6, 28, 12, 0, tzinfo=dt.UTC)
    assert retry_after(value, now=now) == expected(now)


def test_retry_after_http_date() -> None:
    now = dt.datetime(2024, 6, 28, 12, 0, tzinfo=dt.UTC)
    assert retry_after(_http_date(now + dt.timedelta(seconds=30)), now=now) == 30.0
    assert retry_after(_http_date(now - dt.timedelta(seconds=30)), now=now) == 0.0


# ---- over a real socket -------------------------------------------------------------------------


async def test_socket_500_then_200(loopback: Loopback, sleeps: SleepRecorder) -> None:
    async with make_client() as client:
        response = await get_with_retries(client, f"{loopback.base}/flaky", backoff=0.5, sleep=sleeps)
    assert response.text == "ok"
    assert loopback.hits["/flaky"] == 2
    assert sleeps.delays == [0.5]


async def test_socket_429_waits_as_told(loopback: Loopback, sleeps: SleepRecorder) -> None:
    async with make_client() as client:
        response = await get_with_retries(client, f"{loopback.base}/limited", backoff=0.01, sleep=sleeps)
    assert response.text == "ok"
    assert loopback.hits["/limited"] == 2
    assert sleeps.delays == [1.0]  # Retry-After: 1, not the 0.01 s back-off


async def test_socket_timeout_names_the_url(loopback: Loopback, sleeps: SleepRecorder) -> None:
    url = f"{loopback.base}/slow"
    started = time.monotonic()
    async with make_client(timeout=0.1) as client:
        with pytest.raises(FetchError) as info:
            await get_with_retries(client, url, attempts=2, sleep=sleeps)
    assert time.monotonic() - started < 2.0
    assert str(info.value) == f"GET {url} failed: ReadTimeout after 2 attempts"
    assert info.value.url == url
    assert info.value.status is None
    assert loopback.hits["/slow"] == 2
