"""Subscription topics as users type them: ``추론``, ``"diffusion model"``, ``author:"Yu Wang"``."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.i18n import N_, Localized
from bot.store import TopicKind
from bot.text import fold

MAX_TOPIC = 100
_AUTHOR = re.compile(r'^(?:author|by)\s*:\s*(?P<name>.+)$', re.IGNORECASE)


class TopicError(Localized):
    """A topic the user typed that cannot be followed; ``str()`` is English, ``Lang.error`` any language."""


@dataclass(frozen=True, slots=True)
class Topic:
    kind: TopicKind
    term: str

    def __str__(self) -> str:
        return topic_text(self.kind, self.term)

    @property
    def key(self) -> str:
        return fold(self.term)


def topic_text(kind: str, term: str) -> str:
    """A topic as users type it and as every reply, alert and button shows it: ``추론``, ``author:"Yu Wang"``."""
    return f'author:"{term.strip()}"' if kind == "author" else term


def _unquote(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'“”":
        text = text[1:-1]
    return text.strip('"“” ').strip()


def parse_topic(text: str) -> Topic:
    text = " ".join(text.split())
    if not text:
        raise TopicError(N_('Say what to follow: a keyword (`추론`), a phrase (`"diffusion model"`) '
                            'or an author (`author:"Yu Wang"`).'))
    m = _AUTHOR.match(text)
    kind, term = (TopicKind.AUTHOR, _unquote(m.group("name"))) if m else (TopicKind.KEYWORD, _unquote(text))
    if not term or not any(ch.isalnum() for ch in term):
        raise TopicError(N_("Nothing to follow in {text}: use letters or digits."), text=repr(text))
    if len(term) > MAX_TOPIC:
        raise TopicError(N_("That topic is too long ({length} characters); keep it under {limit}."),
                         length=len(term), limit=MAX_TOPIC)
    return Topic(kind, term)
