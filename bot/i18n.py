"""What the bot says, in Korean or English: gettext catalogs managed with Babel.

Every user-facing string is a message id in English, marked ``t._("…")`` (or
``t.ngettext``) where ``t`` is the :class:`Lang` of the reply being written, so one
process answers one user in Korean and the next in English with no shared state.
Strings defined at import time are marked with :func:`N_` and translated when used.

Placeholders are named (``{topic}``) and filled after translation with ``str.format``,
so a translation may put them in any order. Catalogs live in ``bot/locale/<lang>/
LC_MESSAGES/paperbot.po``; ``make i18n`` extracts ``bot/locale/paperbot.pot`` from the
code (``babel.cfg``), updates the ``.po`` files and compiles the ``.mo`` files shipped
in the wheel.

Dates and numbers go through Babel's CLDR data: ``2024년 6월 28일 (금)``, ``1,234``.
"""

from __future__ import annotations

import datetime as dt
import functools
import gettext
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from babel.dates import format_date
from babel.numbers import format_decimal

log = logging.getLogger(__name__)

DOMAIN = "paperbot"
LOCALE_DIR = Path(__file__).parent / "locale"
LANGUAGES = ("en", "ko")
DEFAULT = "en"
#: CLDR date patterns (Babel): the weekday, as a reader of each language expects it
_DATE_PATTERNS = {"en": "EEE, MMM d, y", "ko": "y년 M월 d일 (E)"}


class Marked(str):
    """A message id marked with :func:`N_`: translated when it fills another message's placeholder."""

    __slots__ = ()


def N_(message: str) -> Marked:  # gettext's conventional name for "mark only"
    """Mark ``message`` for extraction; it is translated later, where the language is known."""
    return Marked(message)


def language_of(value: str | None) -> str | None:
    """A supported language for a platform locale or a typed name (``ko-KR``, ``ko``, ``한국어``), else ``None``."""
    if not value:
        return None
    text = str(value).strip().lower().replace("_", "-")
    if text in ("한국어", "korean", "kor", "한국"):
        return "ko"
    if text in ("영어", "english", "eng"):
        return "en"
    base = text.partition("-")[0]
    return base if base in LANGUAGES else None


@functools.cache
def _translations(language: str) -> gettext.NullTranslations:
    try:
        return gettext.translation(DOMAIN, LOCALE_DIR, languages=[language])
    except FileNotFoundError:  # English needs no catalog: the message ids are English
        return gettext.NullTranslations()


@dataclass(frozen=True, slots=True)
class Lang:
    """One language's translations, passed to whatever writes a reply, post or alert."""

    code: str = DEFAULT

    @property
    def _catalog(self) -> gettext.NullTranslations:
        return _translations(self.code if self.code in LANGUAGES else DEFAULT)

    def _(self, message: str, **params: Any) -> str:
        text = self._catalog.gettext(message)
        return text.format(**self._params(params)) if params else text

    def _params(self, params: dict[str, Any]) -> dict[str, Any]:
        return {k: self._(v) if isinstance(v, Marked) else v for k, v in params.items()}

    def ngettext(self, singular: str, plural: str, n: int, **params: Any) -> str:
        """Plural forms from the catalog; ``{n}`` is ``n`` formatted for the language."""
        return self._catalog.ngettext(singular, plural, n).format(n=self.number(n), **self._params(params))

    def date(self, day: dt.date) -> str:
        """The one way a user sees a date: ``Fri, Jun 28, 2024`` in English, ``2024년 6월 28일 (금)`` in Korean."""
        return format_date(day, _DATE_PATTERNS.get(self.code, _DATE_PATTERNS[DEFAULT]), locale=self.locale)

    @property
    def locale(self) -> str:
        return self.code if self.code in LANGUAGES else DEFAULT

    def number(self, n: int) -> str:
        return format_decimal(n, locale=self.locale)

    def error(self, exc: BaseException) -> str:
        """A :class:`Localized` error in this language; any other error's own text."""
        if isinstance(exc, Localized):
            return self._(exc.message, **exc.params)
        return str(exc)


#: each language's name, in the language of the sentence it is put in
NAMES = {"en": N_("English"), "ko": N_("Korean")}

ENGLISH = Lang("en")
KOREAN = Lang("ko")


class ChannelLanguage(Protocol):
    async def channel_language(self, platform: str, channel: str) -> str | None: ...


class ChannelLanguages(Protocol):
    async def channel_languages(self, platform: str, channels: Sequence[str]) -> dict[str, str]: ...


async def channel_lang(store: ChannelLanguage, platform: str, channel: str, fallback: Lang) -> Lang:
    """What posts, alerts and public replies to ``channel`` speak: its ``/papers language``, else ``fallback``.

    A store that cannot say (a failure, or no such table yet) leaves the fallback: nobody loses a post over it.
    """
    try:
        stored = await store.channel_language(platform, channel) if channel else None
    except Exception as exc:  # one line, no traceback: this runs for every command and post
        log.warning("language of %s channel %s unknown (%s: %s); using %s", platform, channel,
                    type(exc).__name__, exc, fallback.code)
        stored = None
    return _chosen(stored, fallback)


async def channel_langs(store: ChannelLanguages, platform: str, channels: Sequence[str],
                        fallback: Lang) -> dict[str, Lang]:
    """:func:`channel_lang` of each of ``channels`` (one platform's), in one look-up: an alert run to thousands of
    channels asks once, not once a channel."""
    try:
        stored = await store.channel_languages(platform, channels) if channels else {}
    except Exception as exc:  # as channel_lang: every channel then speaks the fallback
        log.warning("languages of %d %s channels unknown (%s: %s); using %s", len(channels), platform,
                    type(exc).__name__, exc, fallback.code)
        stored = {}
    return {channel: _chosen(stored.get(channel), fallback) for channel in channels}


def _chosen(stored: str | None, fallback: Lang) -> Lang:
    """The language a channel set (``stored``, as the store keeps it), else ``fallback``."""
    chosen = language_of(stored)
    return Lang(chosen) if chosen else fallback


class Localized(ValueError):
    """An error for the user whose text is a catalog message: ``str()`` is English, :meth:`Lang.error` any."""

    def __init__(self, message: str, **params: Any) -> None:
        self.message = message
        self.params = params
        super().__init__(message.format(**params) if params else message)

