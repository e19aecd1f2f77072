"""bot.text: redaction, the one rule every adapter and store uses before a text is logged or printed."""

from __future__ import annotations

from bot.text import redact


def test_redact_masks_each_secret_and_a_urls_password() -> None:
    message = "login failed for token abc.DEF-123 at postgresql://bot:s3cret@db:5432/paperbot (token abc.DEF-123)"
    assert redact(message, ["abc.DEF-123", None, ""]) == (
        "login failed for token [redacted] at postgresql://bot:***@db:5432/paperbot (token [redacted])"
    )


def test_redact_leaves_texts_without_secrets_alone() -> None:
    text = "GET https://discord.com:443/api/v10/users/@me failed: 401 Unauthorized"
    assert redact(text) == text
    assert redact("postgresql://postgres@127.0.0.1:5432/test") == "postgresql://postgres@127.0.0.1:5432/test"
