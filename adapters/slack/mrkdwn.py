"""Slack ``mrkdwn`` text: escaping, neutralising formatting, and our own links.

Three rules, one function each:

* :func:`escape` replaces ``&``, ``<`` and ``>`` with ``&amp;``, ``&lt;`` and ``&gt;`` — the only
  characters Slack treats as control characters. Every piece of text that did not come from
  paperbot's own markup goes through it, so ``<!channel>``, ``<!everyone>``, ``<@U123>`` or
  ``<https://evil|label>`` inside a digest are shown, never acted on.
* :func:`plain` is for *paper and user* text: :func:`escape`, then each mrkdwn special
  (``*``, ``_``, ``~``, `````) is isolated between zero-width spaces (U+200B). Slack only
  opens a bold/italic/strike/code span at a marker followed by a non-space and closes one at
  a marker preceded by a non-space; a zero-width space counts as a space there, so an
  isolated marker never pairs up and a title like ``*_weird_*`` shows literally. The text
  looks the same; only copy-paste carries the invisible spaces. (Slack has no escape for
  these characters, and replacing them with look-alikes would change what people search.)
  Text we author ourselves (``Text``/``Notice`` from the core) keeps its formatting and
  only goes through :func:`escape`.
* :func:`link` writes ``<url|label>``: only http(s) URLs, with the characters that would end
  the link (``|``, ``<``, ``>``, spaces) percent-encoded and ``&`` escaped; the label is made
  by :func:`label` (:func:`plain`, one line, and ``|`` becomes ``∣`` so it cannot split the link).

``plain_text`` objects (header, button labels, alt text) are not parsed by Slack — no
mentions, links or formatting — so they carry text as it is, only shortened.

Every ``mrkdwn`` text object we send also sets ``verbatim: true``, which turns off Slack's
own preprocessing (auto-linking of bare channel names and "certain mentions"); our
``<url|label>`` links are explicit and still work.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

ZWSP = "\u200b"
SPECIALS = "*_~`"
PIPE_IN_LABEL = "∣"  # U+2223: looks like "|" but does not end a link label

_LINE_BREAKS = re.compile(r"[\r\n\t]+")
_URL_UNSAFE = re.compile(r"[\s|<>\"]")


def escape(text: str) -> str:
    """``&``, ``<``, ``>`` as HTML entities: the text is shown, never parsed as a mention or link."""
    # each replaced only where present: ``in`` finds a character several times faster than ``replace`` finds it
    # absent, and most texts (a long alert's fallback is fitted with several escapes of 3,000 characters) hold none
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    return text


def plain(text: str) -> str:
    """Paper or user text for mrkdwn: escaped, and formatting markers isolated (see module docstring)."""
    text = escape(text)
    for ch in SPECIALS:  # str.replace is much faster than a multi-character str.translate
        if ch in text:
            text = text.replace(ch, f"{ZWSP}{ch}{ZWSP}")
    return text


def label(text: str) -> str:
    """Text for inside ``<url|…>``: one line, :func:`plain`, no ``|``."""
    return plain(_LINE_BREAKS.sub(" ", text).replace("|", PIPE_IN_LABEL))


def http_url(url: str | None) -> str | None:
    """An absolute http(s) ``url`` with spaces, quotes, ``|``, ``<`` and ``>`` percent-encoded; else ``None``."""
    if not url:
        return None
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return _URL_UNSAFE.sub(lambda m: quote(m.group(), safe=""), url)


def safe_url(url: str | None) -> str | None:
    """``url`` ready for ``<url|label>`` (:func:`http_url`, then ``&`` escaped), or ``None``."""
    encoded = http_url(url)
    return escape(encoded) if encoded is not None else None


def link(url: str | None, markup: str) -> str:
    """``<url|markup>`` (``markup`` already made with :func:`label`); just ``markup`` when the URL is not linkable."""
    target = safe_url(url)
    if target is None:
        return markup
    return f"<{target}|{markup}>" if markup else f"<{target}>"


def bold(markup: str) -> str:
    """``*markup*`` between zero-width spaces, so it renders even inside a word (Korean particles: ``*추론*은``)."""
    return f"{ZWSP}*{markup}*{ZWSP}" if markup.strip() else markup
