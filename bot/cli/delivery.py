"""``paperbot preview|post|schedule|deliver|alerts|status``: posts and their ledger."""

from __future__ import annotations

import argparse
import datetime as dt
import json
from typing import Any

from bot.cli.common import (
    ADAPTERS,
    EXIT_OK,
    EXIT_REJECTED,
    UsageError,
    adapter_module,
    command,
    err,
    iso_date,
    open_store,
    out,
    positive,
    results_json,
    transports,
)
from bot.config import ConfigError, Settings
from bot.errors import EXIT_FAILED, EXIT_USAGE
from bot.i18n import Lang


def register(sub: Any) -> None:
    """Add this group's subcommands (their handlers are below, registered by name)."""
    p = sub.add_parser("preview", help="print the payloads a digest post would send")
    p.add_argument("--platform", choices=sorted(ADAPTERS), default="console")
    p.add_argument("--date", type=iso_date)
    p.add_argument("--top", type=positive, help="only the first N papers")
    p.add_argument("--min-votes", type=int, help="only papers with at least N votes")
    p.add_argument("--json", action="store_true", help="a JSON list of payload objects")
    p = sub.add_parser("post", help="post a digest to a channel now, through the delivery ledger (once per "
                                     "digest and channel; --again for once more)")
    p.add_argument("--adapter", choices=["discord", "slack"], required=True)
    p.add_argument("--channel", required=True, help="channel id")
    p.add_argument("--date", type=iso_date)
    p.add_argument("--again", action="store_true", help="post it once more even if it was posted before")
    p = sub.add_parser("schedule", help="channel schedules: list them, or set / turn off / on a channel's")
    p.add_argument("action", choices=["list", "set", "off", "on", "remove"])
    p.add_argument("spec", nargs="*", help="for set: e.g. 09:00 Asia/Seoul mon-fri top=5")
    p.add_argument("--platform", choices=sorted(ADAPTERS), help="for set/off/on/remove: the channel's platform")
    p.add_argument("--channel", help="for set/off/on/remove: the channel id")
    p.add_argument("--json", action="store_true")
    p = sub.add_parser("deliver", help="post what is due to scheduled channels (catch-up included)")
    p.add_argument("--now", action="store_true", help="treat every selected channel as due right now")
    p.add_argument("--dry-run", action="store_true", help="say what would be posted; send nothing")
    p.add_argument("--channel", action="append", metavar="ID", help="only this channel (repeatable)")
    p.add_argument("--json", action="store_true")
    p = sub.add_parser("alerts", help="send topic alerts for a digest's papers (once per subscriber and paper)")
    p.add_argument("--date", type=iso_date, help="digest date (default: the latest)")
    p.add_argument("--dry-run", action="store_true", help="show who would be alerted; send and record nothing")
    p.add_argument("--json", action="store_true")
    p = sub.add_parser("status", help="last delivery per channel, and unavailable channels")
    p.add_argument("--json", action="store_true")


@command("preview")
async def cmd_preview(args: argparse.Namespace, settings: Settings) -> int:
    from bot.layout import DigestOptions, digest_messages

    render = adapter_module(args.platform, "render").render
    store = await open_store(args, settings)
    try:
        stored = await store.digest(args.date)
    finally:
        await store.close()
    messages = digest_messages(stored, DigestOptions(top_n=args.top, min_votes=args.min_votes), date=args.date)
    payloads = render(messages)
    if args.json:
        print(json.dumps([p.preview() for p in payloads], ensure_ascii=False, indent=2))
        return EXIT_OK
    for index, payload in enumerate(payloads):
        where = "post" if payload.thread_of is None else f"thread reply to payload {payload.thread_of}"
        out.rule(f"payload {index} · {where}")
        if args.platform == "console":
            out.print(payload.body["text"], markup=False)
        else:
            print(json.dumps(payload.body, ensure_ascii=False, indent=2))
    return EXIT_OK


@command("post")
async def cmd_post(args: argparse.Namespace, settings: Settings) -> int:
    from bot import post_keys
    from bot.delivery import Deliverer, Outcome
    from bot.layout import DigestOptions, digest_messages

    channel = args.channel.strip()
    if args.adapter == "discord" and not channel.isdigit():
        raise UsageError(f"--channel must be a Discord channel id (digits), not {args.channel!r}")
    store = await open_store(args, settings)
    try:
        stored = await store.digest(args.date)
        if stored is None:
            err.print(f"paperbot post: no digest stored {'for ' + args.date.isoformat() if args.date else 'yet'}; "
                      "nothing posted", markup=False)
            return EXIT_REJECTED
        schedule = await store.schedule(args.adapter, channel)
        options = DigestOptions(top_n=schedule.top_n, min_votes=schedule.min_votes) if schedule else DigestOptions()
        key = post_keys.manual(stored.date, again=args.again)
        async with transports(settings, only={args.adapter}) as (found, problems):
            if args.adapter not in found:
                if problems:
                    return EXIT_REJECTED
                raise ConfigError(f"no {args.adapter} token configured: see the README's setup section")
            async with Deliverer(store, found, lease_seconds=settings.lease_seconds) as deliverer:
                result = await deliverer.deliver(args.adapter, channel, key, digest_messages(stored, options))
    finally:
        await store.close()
    day = stored.date.isoformat()
    if result.outcome == Outcome.SKIPPED:
        out.print(f"paperbot post: the {day} digest was already posted to {channel} (use --again to post it "
                  "once more)", markup=False)
        return EXIT_OK
    if result.outcome != Outcome.SENT:
        err.print(f"paperbot post: {args.adapter} channel {channel}: {result.outcome}: {result.detail}", markup=False)
        return EXIT_REJECTED
    rejected = f" ({result.rejected} rejected: {result.detail})" if result.rejected else ""
    out.print(f"paperbot post: posted the {day} digest to {channel}: {result.sent} messages{rejected}", markup=False)
    return EXIT_REJECTED if result.rejected else EXIT_OK


@command("schedule")
async def cmd_schedule(args: argparse.Namespace, settings: Settings) -> int:
    from bot.schedule_spec import format_schedule
    from bot.scheduling import BadSchedule, trigger

    if args.action != "list":
        return await _schedule_change(args, settings)
    store = await open_store(args, settings)
    try:
        schedules = await store.schedules()
        unavailable = {(p, t): r for p in ADAPTERS
                       for t, r in (await store.unavailable(p)).items()}
    finally:
        await store.close()
    now = dt.datetime.now(dt.UTC)
    rows = []
    for s in schedules:
        problem = None
        try:
            nxt = trigger(s).get_next_fire_time(None, now) if s.enabled else None
        except BadSchedule as exc:  # stored by an older version or a hand edit: shown, never fatal
            nxt, problem = None, f"{exc.reason}; skipped (fix: paperbot schedule set|remove --platform " \
                                 f"{s.platform} --channel {s.channel} …)"
        rows.append({"platform": s.platform, "channel": s.channel, "schedule": format_schedule(s),
                     "next": nxt.isoformat() if nxt else None, "set_by": s.set_by,
                     "unavailable": unavailable.get((s.platform, s.channel)), "problem": problem})
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return EXIT_OK
    if not rows:
        out.print("No channel schedules yet. In a channel: /papers schedule set 09:00 Asia/Seoul mon-fri")
    for r in rows:
        extra = f"  UNAVAILABLE: {r['unavailable']}" if r["unavailable"] else ""
        extra += f"  BAD: {r['problem']}" if r["problem"] else ""
        out.print(f"{r['platform']}:{r['channel']}  {r['schedule']}  next: {r['next'] or '-'}{extra}", markup=False)
    return EXIT_OK


async def _schedule_change(args: argparse.Namespace, settings: Settings) -> int:
    """``schedule set|off|on --platform P --channel ID``: the chat command's own rules, run as an operator."""
    from bot.commands import Commands, Request
    from bot.messages import Level, Notice

    if not args.platform or not args.channel:
        raise UsageError(f"schedule {args.action} needs --platform and --channel")
    if args.action == "set" and not args.spec:
        raise UsageError("schedule set needs a schedule, e.g. 09:00 Asia/Seoul mon-fri")
    if args.action != "set" and args.spec:
        raise UsageError(f"schedule {args.action} takes no schedule: {' '.join(args.spec)!r}")
    store = await open_store(args, settings)
    if args.action == "remove":
        try:
            removed = await store.remove_schedule(args.platform, args.channel.strip())
        finally:
            await store.close()
        where = f"{args.platform}:{args.channel.strip()}"
        if not removed:
            err.print(f"paperbot schedule: no schedule for {where}", markup=False)
            return EXIT_FAILED
        out.print(f"Schedule removed: {where}.", markup=False)
        return EXIT_OK
    try:
        request = Request(args.platform, "cli", args.channel.strip(), "schedule",
                          " ".join([args.action, *args.spec]), can_manage_channel=True)
        reply = await Commands(store, default_timezone=settings.timezone).handle(request)
    finally:
        await store.close()
    notices = [b for m in reply.messages for b in m.blocks if isinstance(b, Notice)]
    for notice in notices:
        (out if notice.level in (Level.INFO, Level.SUCCESS) else err).print(notice.text, markup=False)
    levels = {n.level for n in notices}
    return EXIT_USAGE if Level.WARNING in levels else EXIT_FAILED if Level.ERROR in levels else EXIT_OK


@command("deliver")
async def cmd_deliver(args: argparse.Namespace, settings: Settings) -> int:
    from bot.delivery import Deliverer
    from bot.scheduling import ChannelPoster

    store = await open_store(args, settings)
    try:
        async with transports(settings) as (found, problems), \
                Deliverer(store, found, lease_seconds=settings.lease_seconds) as deliverer:
            poster = ChannelPoster(store, deliverer, language=settings.language)
            summary = await poster.run_due(channels=set(args.channel) if args.channel else None,
                                           dry_run=args.dry_run, force=args.now)
    finally:
        await store.close()
    if args.json:
        print(results_json(summary.results))
    else:
        for r in summary.results:
            out.print(f"{r.platform}:{r.target}  {r.outcome}  {r.post_key}  {r.detail}".rstrip(), markup=False)
        out.print(summary.line(), markup=False)
    return EXIT_REJECTED if summary.count("failed") + summary.count("incomplete") or problems else EXIT_OK


@command("alerts")
async def cmd_alerts(args: argparse.Namespace, settings: Settings) -> int:
    from bot.alerts import deliver_alerts
    from bot.delivery import Deliverer

    store = await open_store(args, settings)
    try:
        stored = await store.digest(args.date)
        if stored is None:
            err.print("No digest stored" + (f" for {args.date.isoformat()}." if args.date else " yet."))
            return EXIT_REJECTED
        async with transports(settings) as (found, problems), \
                Deliverer(store, found, lease_seconds=settings.lease_seconds) as deliverer:
            results = await deliver_alerts(store, deliverer, stored.date,
                                           [p.paper for p in stored.papers], dry_run=args.dry_run,
                                           language=Lang(settings.language))
    finally:
        await store.close()
    if args.json:
        print(results_json(results))
    else:
        for r in results:
            out.print(f"{r.platform}:{r.target}  {r.outcome}  {r.detail or str(r.sent) + ' messages'}", markup=False)
        out.print(f"alerts for {stored.date.isoformat()}: {len(results)} subscriber(s)", markup=False)
    return EXIT_REJECTED if problems else EXIT_OK


@command("status")
async def cmd_status(args: argparse.Namespace, settings: Settings) -> int:
    store = await open_store(args, settings)
    try:
        runs = await store.last_runs()
        gone = {p: await store.unavailable(p) for p in ADAPTERS}
        unfinished = await store.unfinished_posts()
    finally:
        await store.close()
    rows = [{"platform": r.platform, "channel": r.target, "when": r.at.isoformat(), "post": r.post_key,
             "outcome": r.outcome, "detail": r.detail, "unavailable": gone.get(r.platform, {}).get(r.target)}
            for r in runs]
    open_rows = [{"platform": u.platform, "channel": u.target, "post": u.post_key, "parts": len(u.parts),
                  "missing": list(u.missing), "since": u.created_at.isoformat(), "attempts": u.attempts,
                  "last_error": u.last_error, "retry_at": u.retry_at.isoformat() if u.retry_at else None}
                 for u in unfinished]
    if args.json:
        print(json.dumps({"runs": rows, "unfinished": open_rows}, ensure_ascii=False, indent=2))
        return EXIT_OK
    if not rows and not open_rows:
        out.print("No deliveries yet.")
    for r in rows:
        out.print(f"{r['platform']}:{r['channel']}  {r['when']}  {r['post']}  {r['outcome']}  {r['detail']}".rstrip()
                  + (f"  UNAVAILABLE: {r['unavailable']}" if r["unavailable"] else ""), markup=False)
    if unfinished:
        out.print(f"Unfinished posts ({len(unfinished)}): the running bot retries them; `paperbot deliver` "
                  "finishes them now", markup=False)
    for u in unfinished:
        missing = ", ".join(str(m) for m in u.missing)
        why = f"  last error: {u.last_error}" if u.last_error else ""
        out.print(f"  {u.platform}:{u.target}  {u.post_key}  {len(u.missing)} of {len(u.parts)} parts "
                  f"missing ({missing})  since {u.created_at.isoformat()}{why}", markup=False)
    return EXIT_OK
