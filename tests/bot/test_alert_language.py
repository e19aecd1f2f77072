"""An alert by direct message speaks its reader's language where the platform says it; a channel's alert, the
channel's."""

from __future__ import annotations

import datetime as dt
import io

from rich.console import Console

from adapters.console.transport import ConsoleTransport
from bot import alerts
from bot.delivery import Deliverer, SentRef
from bot.i18n import Lang
from bot.models import Digest, Paper
from bot.payload import Payload

DAY = dt.date(2024, 7, 1)
PAPER = Paper("2407.00003", "https://arxiv.org/abs/2407.00003", "Diffusion models at scale", authors=("Wang Lei",),
              sections=(("What's New", "확산 모델(diffusion model)을 다룹니다."),))


class KnowsLanguages(ConsoleTransport):
    """A transport that can say each user's language, as Slack's does from users.info."""

    def __init__(self, console: Console, languages: dict[str, str]) -> None:
        super().__init__(console)
        self.languages = languages
        self.asked: list[str] = []

        self.headers: dict[str, str] = {}  # target → the first line of its alert

    async def user_language(self, user: str) -> str:
        self.asked.append(user)
        return self.languages.get(user, "")

    async def send(self, target: str, payload: Payload, *, parent: SentRef | None, nonce: str,
                   unknown: bool) -> SentRef:
        self.headers.setdefault(target, payload.body["text"].splitlines()[0])
        return await super().send(target, payload, parent=parent, nonce=nonce, unknown=unknown)


async def test_direct_messages_speak_each_readers_language(store):
    await store.ingest(Digest(DAY, (PAPER,)))
    for who in ("UKO", "UEN", "UNONE"):
        await store.add_subscription("console", f"user:{who}", "keyword", "diffusion")
    await store.add_subscription("console", "channel:C9", "keyword", "diffusion")
    await store.set_channel_language("console", "C9", "en")
    out = io.StringIO()
    transport = KnowsLanguages(Console(file=out, width=120, color_system=None), {"UKO": "ko-KR", "UEN": "en-US"})
    run = await alerts.run_alerts(store, Deliverer(store, {"console": transport}), DAY, (PAPER,),
                                  language=Lang("ko"))
    assert len(run.results) == 4
    shown = transport.headers
    assert shown["user:UKO"].startswith("🔔 알림 주제의 새 논문") and "2024년 7월 1일 (월)" in shown["user:UKO"]
    assert shown["user:UEN"] == "🔔 1 new paper for your alerts — Mon, Jul 1, 2024"
    assert shown["user:UNONE"].startswith("🔔 알림 주제의 새 논문")  # the platform does not say: PAPERBOT_LANGUAGE
    assert shown["C9"] == "🔔 1 new paper for your alerts — Mon, Jul 1, 2024"  # the channel's language
    assert sorted(transport.asked) == ["UEN", "UKO", "UNONE"]  # channels are never asked about


async def test_channels_speak_their_own_languages_looked_up_once(store):
    await store.ingest(Digest(DAY, (PAPER,)))
    for channel, language in (("CKO", "ko"), ("CEN", "en"), ("CNONE", None)):
        await store.add_subscription("console", f"channel:{channel}", "keyword", "diffusion")
        if language:
            await store.set_channel_language("console", channel, language)
    asked: list[list[str]] = []
    bulk = store.channel_languages

    async def channel_languages(platform: str, channels: list[str]) -> dict[str, str]:
        asked.append(sorted(channels))
        return await bulk(platform, channels)

    async def channel_language(platform: str, channel: str) -> str | None:
        raise AssertionError(f"{channel}'s language asked alone")

    store.channel_languages, store.channel_language = channel_languages, channel_language
    transport = KnowsLanguages(Console(file=io.StringIO(), width=120, color_system=None), {})
    run = await alerts.run_alerts(store, Deliverer(store, {"console": transport}), DAY, (PAPER,),
                                  language=Lang("en"))
    assert sorted(r.outcome for r in run.results) == ["sent"] * 3
    assert transport.headers["CKO"].startswith("🔔 알림 주제의 새 논문")
    assert transport.headers["CEN"] == "🔔 1 new paper for your alerts — Mon, Jul 1, 2024"
    assert transport.headers["CNONE"] == "🔔 1 new paper for your alerts — Mon, Jul 1, 2024"  # PAPERBOT_LANGUAGE
    assert asked == [["CEN", "CKO", "CNONE"]]  # the run's channels looked up together, once, none alone
    assert transport.asked == []
