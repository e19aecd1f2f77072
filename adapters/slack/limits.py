"""Every Slack limit paperbot respects, in one place.

Numbers are Slack's documented Block Kit / Web API limits; where Slack documents none
(the text of a whole message made of blocks) we keep a margin below what Slack enforces. Renderers and
tests import these names, never the bare numbers.
"""

from __future__ import annotations

from typing import Final

#: blocks in one message (chat.postMessage, response_url)
MAX_BLOCKS: Final = 50
#: ``text`` of a section block
SECTION_TEXT: Final = 3000
#: ``fields`` of a section block: how many, and characters in each
SECTION_FIELDS: Final = 10
SECTION_FIELD_TEXT: Final = 2000
#: ``plain_text`` of a header block
HEADER_TEXT: Final = 150
#: elements of a context block, and characters in one text element
CONTEXT_ELEMENTS: Final = 10
CONTEXT_TEXT: Final = 2000
#: elements of an actions block
ACTIONS_ELEMENTS: Final = 25
#: a button: its label, ``value`` and ``action_id``
BUTTON_TEXT: Final = 75
ACTION_VALUE: Final = 2000
ACTION_ID: Final = 255
#: an image element (accessory): URL and alt text
IMAGE_URL: Final = 3000
IMAGE_ALT_TEXT: Final = 2000
#: image types Slack displays (no SVG)
IMAGE_SUFFIXES: Final = (".png", ".jpg", ".jpeg", ".gif")
#: the top-level ``text`` of a message (Slack truncates beyond it); it must not be empty
MESSAGE_TEXT: Final = 40_000
#: our own cap on the fallback ``text`` (notifications show a line or two of it)
FALLBACK_TEXT: Final = 3000
#: all the text of one message's blocks: Slack answers ``msg_blocks_too_long`` above about 12,000
#: characters (not in its reference; confirmed by its maintainers in slackapi/bolt-js#2509 and #2867)
SLACK_BLOCKS_TEXT: Final = 12_000
#: our cap on it, with a margin for how Slack counts (a daily post beyond it is split into several messages)
MESSAGE_BLOCKS_TEXT: Final = 11_000
#: a response_url accepts this many responses (within 30 minutes)
RESPONSE_URL_USES: Final = 5
#: a title inside one line of a paper list or a card (escaped characters)
TITLE_TEXT: Final = 600
#: Slack's HTTP request budget: ack within 3 seconds
ACK_SECONDS: Final = 3

#: chat.postMessage to one channel: about one message a second (Slack's documented posting rate),
#: counted from Slack's answer to the message before
POST_INTERVAL_SECONDS: Final = 1.0
