"""The daily post: one compact message in the channel, full summaries in its thread.

A team channel sees one message a day (date, one line per paper with votes and link),
and whoever wants the summaries opens the thread: one reply per paper, as the Korean
daily-papers digest itself is posted. Nothing floods the channel, and every paper is
there.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from bot.i18n import ENGLISH, N_, Lang
from bot.messages import (
    SHOW_DETAILS,
    SUBSCRIBE_AUTHOR,
    Action,
    Detail,
    Header,
    Level,
    Message,
    MessageKind,
    Notice,
    PaperCard,
    PaperList,
    Text,
)
from bot.models import Paper
from bot.store import StoredDigest, StoredPaper
from bot.text import section_language

COMMAND = "/papers"


@dataclass(frozen=True, slots=True)
class DigestOptions:
    top_n: int | None = None
    min_votes: int | None = None
    details: bool = True  # the per-paper thread replies


def select(papers: tuple[Paper, ...], options: DigestOptions) -> tuple[Paper, ...]:
    chosen = tuple(p for p in papers if options.min_votes is None or (p.votes or 0) >= options.min_votes)
    return chosen[: options.top_n] if options.top_n else chosen


def card_actions(paper: Paper, *, details: bool = True, author: str | None = None,
                 t: Lang = ENGLISH) -> tuple[Action, ...]:
    """Buttons on a card: its details, and following an author (the matched one, else the first)."""
    actions = []
    if details:
        actions.append(Action(SHOW_DETAILS, t._("Show details"), paper.arxiv_id))
    follow = author or (paper.authors[0] if paper.authors else None)
    if follow:
        actions.append(Action(SUBSCRIBE_AUTHOR, t._("Follow {name}", name=follow), follow))  # renderers fit labels
    return tuple(actions)


def digest_title(date: dt.date, t: Lang = ENGLISH) -> str:
    return t._("📰 Daily Papers — {date}", date=t.date(date))


def no_digest_message(date: dt.date | None, t: Lang = ENGLISH) -> Message:
    if date:
        header, note = digest_title(date, t), t._("No papers for {date}. New papers usually arrive each weekday.",
                                                   date=t.date(date))
    else:
        header, note = t._("📰 Daily Papers"), t._("No papers yet. New papers usually arrive each weekday.")
    return Message((Header(header), Notice(note, Level.INFO)), kind=MessageKind.DIGEST)


def digest_messages(stored: StoredDigest | None, options: DigestOptions = DigestOptions(),
                    *, date: dt.date | None = None, t: Lang = ENGLISH) -> tuple[Message, ...]:
    """The post and its thread replies (``thread_of=0``), in ``t``'s language."""
    if stored is None or not stored.papers:
        return (no_digest_message(stored.date if stored else date, t),)
    everything = tuple(p.paper for p in stored.papers)
    chosen = select(everything, options)
    if not chosen:
        return (Message((Header(digest_title(stored.date, t)),
                         Notice(t.ngettext("No papers with at least {votes} votes today ({n} in the digest).",
                                           "No papers with at least {votes} votes today ({n} in the digest).",
                                           len(everything), votes=t.number(options.min_votes or 0)))),
                        kind=MessageKind.DIGEST),)
    if len(chosen) == len(everything):
        count = t.ngettext("{n} paper", "{n} papers", len(chosen))
    else:
        count = t.ngettext("top {top} of {n} paper", "top {top} of {n} papers", len(everything),
                           top=t.number(len(chosen)))
    summary = t._("{count} · summaries in the thread", count=count) if options.details else count
    post = Message((Header(digest_title(stored.date, t)), Text(summary), PaperList(chosen)), kind=MessageKind.DIGEST)
    if not options.details:
        return (post,)
    dates = {p.paper.arxiv_id: p.dates for p in stored.papers}
    replies = tuple(
        Message((card(p, Detail.FULL, t, rank=i, dates=dates[p.arxiv_id], actions=card_actions(p, details=False, t=t),
                      both_languages=False),),
                thread_of=0, kind=MessageKind.DIGEST)
        for i, p in enumerate(chosen, start=1)
    )
    return (post, *replies)


def paper_card(stored: StoredPaper, detail: Detail = Detail.FULL, *, rank: int | None = None,
               snippet: tuple[tuple[str, bool], ...] = (), matched: tuple[str, ...] = (),
               t: Lang = ENGLISH) -> PaperCard:
    """A card for a reply (search, author, ``show``): a full card shows the paper's text in both languages,
    the reader's first."""
    actions = card_actions(stored.paper, details=detail is not Detail.FULL, author=matched[0] if matched else None,
                           t=t)
    return card(stored.paper, detail, t, rank=rank, dates=stored.dates, snippet=snippet, matched=matched,
                actions=actions)


def card(paper: Paper, detail: Detail, t: Lang, *, rank: int | None = None, dates: tuple[dt.date, ...] = (),
         snippet: tuple[tuple[str, bool], ...] = (), matched: tuple[str, ...] = (), actions: tuple[Action, ...] = (),
         both_languages: bool = True) -> PaperCard:
    """Every card, in ``t``'s language: its dates through ``t.date``, its fixed words from the catalog, and the
    paper's text in the reader's language first — a post (``both_languages=False``) leaves the other language
    out when the paper has text in both, with a note where to read it."""
    other = ""
    if detail is Detail.FULL:
        mine, theirs = split_sections(paper.sections, t.code)
        if mine and theirs and not both_languages:
            paper = replace(paper, sections=mine)
            note = OTHER_TEXT[section_language(theirs[0][1])]
            other = t._(note, command=f"`{COMMAND} show {paper.arxiv_id}`")
        else:
            paper = replace(paper, sections=mine + theirs)
    return PaperCard(paper, detail, rank=rank, dates=dates, snippet=snippet, matched=matched, actions=actions,
                     matched_label=t._("matched"), date_labels=tuple(t.date(d) for d in dates),
                     more_label=t._("more"), video_label=t._("▶ video"), other_language=other)


#: the note on a post that leaves a paper's text in the other language out
OTHER_TEXT = {"en": N_("English abstract: {command}"), "ko": N_("Korean summary: {command}")}


def split_sections(sections: tuple[tuple[str, str], ...], language: str
                   ) -> tuple[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]]:
    """A paper's sections in ``language`` and the others, each in their stored order."""
    mine = tuple(s for s in sections if section_language(s[1]) == language)
    return mine, tuple(s for s in sections if section_language(s[1]) != language)
