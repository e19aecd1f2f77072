"""Looking papers up: ``today`` (alias ``digest``), ``search``, ``author``, ``show``."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace

from bot import arxiv
from bot.commands.request import COMMAND, Context, Handler, Request
from bot.i18n import Lang
from bot.layout import DigestOptions, digest_messages, paper_card
from bot.messages import Block, Detail, Header, Level, Message, MessageKind, Notice, Reply, Text
from bot.store import SearchPage

MAX_PAGE = 50


async def today(ctx: Context, request: Request, t: Lang) -> Reply:
    arg = request.args.strip().removeprefix("--date").strip()
    date: dt.date | None = None
    if arg:
        date = _parse_day(ctx, arg)
        if date is None:
            return Reply.notice(t._("{text} is not a date: use YYYY-MM-DD, `today` or `yesterday`.",
                                    text=repr(arg)), Level.WARNING)
    stored = await ctx.store.digest(date)
    if stored is None and date is None:
        return Reply.notice(t._("No digest stored yet. Papers arrive with the next daily fetch."))
    if stored is None and date is not None:
        dates = await ctx.store.digest_dates()
        if dates:  # the days in the reader's words, and one as it is typed
            return Reply.notice(t._("No digest for {date}. Stored days: {days}. Show one with `{command} today "
                                    "{example}`.", date=t.date(date), days=" · ".join(t.date(d) for d in dates[-5:]),
                                    command=COMMAND, example=dates[-1].isoformat()))
        return Reply.notice(t._("No digest for {date}.", date=t.date(date)))
    messages = digest_messages(stored, DigestOptions(details=False), date=date, t=t)
    post = replace(messages[0], ephemeral=True, kind=MessageKind.REPLY,
                   blocks=(*messages[0].blocks,
                           Text(t._("Summaries: `{command} show <arXiv id>` · search: `{command} search <words>`",
                                    command=COMMAND))))
    return Reply((post,))


def _parse_day(ctx: Context, text: str) -> dt.date | None:
    word = text.lower()
    if word in ("today", "오늘"):
        return ctx.current_date()
    if word in ("yesterday", "어제"):
        return ctx.current_date() - dt.timedelta(days=1)
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def _page(args: str) -> tuple[str, int]:
    m = re.search(r"\s*(?:--page[ =]|page:)\s*(\d+)\s*$", args)
    if not m:
        return args, 1
    return args[: m.start()], max(1, min(MAX_PAGE, int(m.group(1))))


def _results(page: SearchPage, title: str, more_command: str, number: int, t: Lang,
             by_author: bool = False) -> Reply:
    if not page.hits:
        if page.total == 0:
            return Reply.notice(t._("No papers found for {title}. Try a shorter word or another spelling.",
                                    title=title))
        return Reply.notice(t._("No papers found for {title}. No more results.", title=title))
    shown_to = page.offset + len(page.hits)
    total = t.ngettext("{title}: {total} paper", "{title}: {total} papers", page.total,
                       title=title, total=page.total_text)
    if page.total > len(page.hits):
        total = t._("{found} (showing {first}-{last})", found=total, first=page.offset + 1, last=shown_to)
    blocks: list[Block] = [Header(f"🔎 {total}")]
    for rank, hit in enumerate(page.hits, start=page.offset + 1):
        blocks.append(paper_card(hit.paper, Detail.COMPACT, rank=rank, snippet=hit.snippet,
                                 matched=hit.matched_authors if by_author else (), t=t))
    if page.more:
        blocks.append(Notice(t._("… and {count} more: `{command} --page {page}`", count=page.more_text,
                                 command=more_command, page=number + 1)))
    return Reply((Message(tuple(blocks), ephemeral=True),))


async def search(ctx: Context, request: Request, t: Lang) -> Reply:
    query, number = _page(request.args)
    if not query.strip():
        return Reply.notice(t._("Usage: `{command} search <words>`, e.g. `{command} search 추론` "
                                "or `{command} search \"preference optimization\"`.", command=COMMAND),
                            Level.WARNING)
    offset = (number - 1) * ctx.page_size
    page = await ctx.store.search(query, limit=ctx.page_size, offset=offset)
    return _results(page, f"“{query.strip()}”", f"{COMMAND} search {query.strip()}", number, t)


async def author(ctx: Context, request: Request, t: Lang) -> Reply:
    name, number = _page(request.args)
    if not name.strip():
        return Reply.notice(t._("Usage: `{command} author <name>`, e.g. `{command} author Juanzi Li`.",
                                command=COMMAND), Level.WARNING)
    offset = (number - 1) * ctx.page_size
    page = await ctx.store.search_authors(name, limit=ctx.page_size, offset=offset)
    return _results(page, t._("author “{name}”", name=name.strip()), f"{COMMAND} author {name.strip()}",
                    number, t, by_author=True)


async def show(ctx: Context, request: Request, t: Lang) -> Reply:
    arg = request.args.strip()
    if not arg:
        return Reply.notice(t._("Usage: `{command} show <arXiv id>`, e.g. `{command} show 2406.18629`.",
                                command=COMMAND), Level.WARNING)
    arxiv_id = arxiv.normalize(arg)
    if arxiv_id is None:
        return Reply.notice(t._("{text} is not an arXiv id: it looks like `2406.18629`.", text=repr(arg[:40])),
                            Level.WARNING)
    stored = await ctx.store.paper(arxiv_id)
    if stored is None:
        return Reply.notice(t._("No paper {id} in the stored digests. Try `{command} search <words>`.",
                                id=arxiv_id, command=COMMAND))
    return Reply((Message((paper_card(stored, Detail.FULL, t=t),), ephemeral=True),))


HANDLERS: dict[str, Handler] = {"today": today, "digest": today, "search": search, "author": author, "show": show}
