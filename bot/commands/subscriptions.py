"""Alerts: ``subscribe``, ``unsubscribe``, ``subscriptions`` (for oneself, or ``--channel`` for a channel)."""

from __future__ import annotations

from bot.commands.request import COMMAND, Context, Handler, Request
from bot.i18n import Lang
from bot.messages import Header, Level, Message, Reply, Text
from bot.topics import parse_topic, topic_text


def _subscriber(request: Request, args: str, t: Lang) -> tuple[str, str, str | None]:
    """(subscriber, rest of args, refusal) — ``--channel`` subscribes the channel."""
    if args.startswith("--channel"):
        if not request.can_manage_channel:
            return "", "", t._("Only channel managers can subscribe the whole channel; drop `--channel` "
                               "to get alerts as direct messages.")
        return f"channel:{request.channel}", args.removeprefix("--channel").strip(), None
    return f"user:{request.user}", args, None


async def subscribe(ctx: Context, request: Request, t: Lang) -> Reply:
    subscriber, args, refusal = _subscriber(request, request.args.strip(), t)
    if refusal:
        return Reply.notice(refusal, Level.WARNING)
    topic = parse_topic(args)
    _, created = await ctx.store.add_subscription(request.platform, subscriber, topic.kind, topic.term)
    channel = subscriber.startswith("channel:")
    if not created:
        if channel:
            return Reply.notice(t._("Already following {topic} for this channel.", topic=str(topic)))
        return Reply.notice(t._("Already following {topic} for you (by direct message).", topic=str(topic)))
    if channel:
        return Reply.notice(t._("Following {topic}: new matching papers will be sent to this channel, "
                                "once each.", topic=str(topic)), Level.SUCCESS)
    return Reply.notice(t._("Following {topic}: new matching papers will be sent to you (by direct message), "
                            "once each.", topic=str(topic)), Level.SUCCESS)


async def unsubscribe(ctx: Context, request: Request, t: Lang) -> Reply:
    subscriber, args, refusal = _subscriber(request, request.args.strip(), t)
    if refusal:
        return Reply.notice(refusal, Level.WARNING)
    topic = parse_topic(args)
    if await ctx.store.remove_subscription(request.platform, subscriber, topic.kind, topic.term):
        return Reply.notice(t._("Stopped following {topic}.", topic=str(topic)), Level.SUCCESS)
    current = await ctx.store.subscriptions(request.platform, subscriber)
    if not current:
        return Reply.notice(t._("You were not following {topic}. You follow nothing yet.", topic=str(topic)))
    listing = ", ".join(topic_text(s.kind, s.term) for s in current)
    return Reply.notice(t._("You were not following {topic}. You follow: {topics}.", topic=str(topic),
                            topics=listing))


async def subscriptions(ctx: Context, request: Request, t: Lang) -> Reply:
    mine = await ctx.store.subscriptions(request.platform, f"user:{request.user}")
    channel = await ctx.store.subscriptions(request.platform, f"channel:{request.channel}")
    if not mine and not channel:
        return Reply.notice(t._("No alerts yet. Try `{command} subscribe 추론` or "
                                "`{command} subscribe author:\"Juanzi Li\"`.", command=COMMAND))
    lines = [f"• {topic_text(s.kind, s.term)}" for s in mine]
    lines += ["• " + t._("{topic} (this channel)", topic=topic_text(s.kind, s.term)) for s in channel]
    return Reply((Message((Header(t._("🔔 Your alerts")), Text("\n".join(lines))), ephemeral=True),))


HANDLERS: dict[str, Handler] = {"subscribe": subscribe, "unsubscribe": unsubscribe, "subscriptions": subscriptions}
