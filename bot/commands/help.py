"""``help``: the list of subcommands, each with its usage and an example."""

from __future__ import annotations

from bot.commands.request import COMMAND, Context, Handler, Request
from bot.i18n import N_, Lang
from bot.messages import Header, Message, Reply, Text
from bot.schedule_spec import EXAMPLE

HELP: tuple[tuple[str, str], ...] = (
    (N_("today [YYYY-MM-DD]"), N_("the day's digest (latest by default)")),
    (N_("search <words>"), N_("papers by keyword, Korean or English: `추론`, `\"preference optimization\"`")),
    (N_("author <name>"), N_("papers by an author: `Juanzi Li`, or a surname: `Ning`")),
    (N_("show <arXiv id>"), N_("one paper with its summaries: `2406.18629`")),
    (N_("subscribe <topic>"), N_("alerts for a keyword, phrase or `author:\"Yu Wang\"`")),
    (N_("unsubscribe <topic>"), N_("stop an alert")),
    (N_("subscriptions"), N_("your alerts")),
    (N_("schedule set|show|off"), N_("this channel's daily post, e.g. {example}")),
    (N_("language ko|en"), N_("the language of this channel's posts and alerts (channel managers)")),
    (N_("help"), N_("this list")),
)


async def command_list(ctx: Context, request: Request, t: Lang) -> Reply:
    lines = [f"`{COMMAND} {t._(usage)}` — {t._(text, example=EXAMPLE)}" for usage, text in HELP]
    if t.code == "ko":
        lines.append(t._("English command names work too: `{command} search 추론`.", command=COMMAND))
    return Reply((Message((Header(t._("paperbot — daily AI papers")), Text("\n".join(lines))), ephemeral=True),))


HANDLERS: dict[str, Handler] = {"help": command_list}
