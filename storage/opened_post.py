"""A post as both ledgers record it on opening, returned without reading it back."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from bot.payload import Payload
from bot.store import Claim, ClaimState, LedgerPost, StoredPart


def opened(platform: str, target: str, post_key: str, payloads: Sequence[Payload], created_at: dt.datetime,
           report_to: str, nonce: str | None) -> tuple[LedgerPost, Claim | None]:
    """The post just recorded with its parts pending — part 0 claimed when ``nonce`` is given (and there are parts)
    — and that claim."""
    claimed = nonce is not None and bool(payloads)
    post = LedgerPost(platform=platform, target=target, post_key=post_key,
                      parts=tuple(StoredPart(i, p, "claimed" if i == 0 and claimed else "pending", None, None, None)
                                  for i, p in enumerate(payloads)),
                      created_at=created_at, report_to=report_to, finished=not payloads,
                      attempts=0, retry_at=None, last_error=None)
    return post, Claim(ClaimState.NEW, nonce) if claimed and nonce is not None else None
