"""A channel's settings, changed by its managers: ``schedule`` (the daily post) and ``language``."""

from __future__ import annotations

from dataclasses import replace

from bot.commands.names import KOREAN_SCHEDULE_ACTIONS
from bot.commands.request import COMMAND, Context, Handler, Request
from bot.i18n import NAMES, Lang, language_of
from bot.messages import Level, Reply
from bot.schedule_spec import EXAMPLE, format_schedule, parse_schedule
from bot.store import Schedule


async def schedule(ctx: Context, request: Request, t: Lang) -> Reply:
    action, _, rest = request.args.strip().partition(" ")
    action = action.lower() or "show"
    action = KOREAN_SCHEDULE_ACTIONS.get(action, action)
    current = await ctx.store.schedule(request.platform, request.channel)
    if action == "show":
        if current is None:
            return Reply.notice(t._("No daily post in this channel yet. A channel manager can add one: "
                                    "{example}.", example=EXAMPLE))
        return Reply.notice(t._("Daily post: {schedule}.", schedule=format_schedule(current, t)))
    if action not in ("set", "off", "on"):
        return Reply.notice(t._("Usage: `{command} schedule set|show|off`, e.g. {example}.", command=COMMAND,
                                example=EXAMPLE), Level.WARNING)
    if not request.can_manage_channel:
        return Reply.notice(t._("Only people who can manage this channel (Manage Channels on Discord, "
                                "workspace admins on Slack) can change its daily post."), Level.WARNING)
    if action in ("off", "on"):
        if current is None:
            if action == "off":
                return Reply.notice(t._("No daily post to turn off. Set one with {example}.", example=EXAMPLE))
            return Reply.notice(t._("No daily post to turn on. Set one with {example}.", example=EXAMPLE))
        updated = replace(current, enabled=action == "on", set_by=request.user)
    else:
        spec = parse_schedule(rest, ctx.default_timezone)
        updated = Schedule(platform=request.platform, channel=request.channel, workspace=request.workspace,
                           time=spec.time, timezone=spec.timezone, weekdays=spec.weekdays, top_n=spec.top_n,
                           min_votes=spec.min_votes, enabled=True, set_by=request.user, quiet=spec.quiet)
    await ctx.store.set_schedule(updated)
    if ctx.on_schedule_change is not None:
        await ctx.on_schedule_change(updated)
    public = await ctx.channel_language(request.platform, request.channel, t)  # the channel sees it
    if not updated.enabled:
        text = public._("Daily post turned off: {schedule}.", schedule=format_schedule(updated, public))
    else:
        text = public._("Daily post set: {schedule}.", schedule=format_schedule(updated, public))
    return Reply.notice(text, Level.SUCCESS, ephemeral=False)


async def language(ctx: Context, request: Request, t: Lang) -> Reply:
    arg = request.args.strip()
    current = await ctx.channel_language(request.platform, request.channel)
    if not arg:
        return Reply.notice(t._("This channel's posts and alerts are in {language}. A channel manager can "
                                "change it: `{command} language ko` or `{command} language en`.",
                                language=NAMES[current.code], command=COMMAND))
    chosen = language_of(arg)
    if chosen is None:
        return Reply.notice(t._("{text} is not a language here: use `ko` (한국어) or `en` (English).",
                                text=repr(arg[:40])), Level.WARNING)
    if not request.can_manage_channel:
        return Reply.notice(t._("Only people who can manage this channel (Manage Channels on Discord, "
                                "workspace admins on Slack) can change its language."), Level.WARNING)
    await ctx.store.set_channel_language(request.platform, request.channel, chosen)
    new = Lang(chosen)
    return Reply.notice(new._("This channel's posts and alerts are now in {language}.", language=NAMES[chosen]),
                        Level.SUCCESS, ephemeral=False)


HANDLERS: dict[str, Handler] = {"schedule": schedule, "language": language}
