"""bot.text: redaction, the one rule every adapter and store uses before a text is logged or printed; fitting a text
in a limit once escaped."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.discord.render import escape as discord_escape
from adapters.slack.mrkdwn import escape as slack_escape
from adapters.slack.mrkdwn import label, plain
from bot.text import ELLIPSIS, fit, longest_prefix, redact


def test_redact_masks_each_secret_and_a_urls_password() -> None:
    message = "login failed for token abc.DEF-123 at postgresql://bot:s3cret@db:5432/paperbot (token abc.DEF-123)"
    assert redact(message, ["abc.DEF-123", None, ""]) == (
        "login failed for token [redacted] at postgresql://bot:***@db:5432/paperbot (token [redacted])"
    )


def test_redact_leaves_texts_without_secrets_alone() -> None:
    text = "GET https://discord.com:443/api/v10/users/@me failed: 401 Unauthorized"
    assert redact(text) == text
    assert redact("postgresql://postgres@127.0.0.1:5432/test") == "postgresql://postgres@127.0.0.1:5432/test"


# -- fit: the longest prefix whose escaped form fits ----------------------------------------------------------------
ESCAPES = {"none": lambda s: s, "slack escape": slack_escape, "slack plain": plain, "slack label": label,
           "discord": discord_escape}
#: characters each escape lengthens or shortens, so cuts land among them
TRICKY = st.lists(st.sampled_from([*"ab 가.\n\r\t&<>*_~`|\\[]#-+@1", "@everyone", "@here", "1.", "\r\n"]),
                  max_size=200).map("".join)


@settings(max_examples=300, deadline=None)
@given(TRICKY, st.integers(0, 320), st.sampled_from(sorted(ESCAPES)))
def test_longest_prefix_is_the_longest_whose_escape_fits(text: str, budget: int, name: str) -> None:
    escape = ESCAPES[name]
    longest = max(n for n in range(min(len(text), budget) + 1) if len(escape(text[:n])) <= budget)
    assert longest_prefix(text, budget, escape) == longest


def test_fit_cuts_a_long_escaped_text_within_its_limit_at_a_sentence_end() -> None:
    text = "첫 문장은 *굵게* 씁니다. " * 200
    cut = fit(text, 3000, escape=plain)
    assert 2900 < len(cut) <= 3000 and cut.endswith("씁니다." + ELLIPSIS)
    assert plain(text).startswith(cut.removesuffix(ELLIPSIS))
