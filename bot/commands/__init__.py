"""Every ``/papers`` command, implemented once for every platform.

An adapter builds a :class:`Request` (who, where, which command, its arguments, and
whether the user may manage the channel) and renders the :class:`Reply` it gets back.
No command raises to its caller: bad input gets a short, helpful reply.

One module a feature group: :mod:`~bot.commands.lookup` (today, search, author, show),
:mod:`~bot.commands.subscriptions`, :mod:`~bot.commands.channel` (schedule, language),
:mod:`~bot.commands.help`; :mod:`~bot.commands.names` holds the English and Korean names,
:mod:`~bot.commands.request` what a command gets, :mod:`~bot.commands.dispatch` the
:class:`Commands` dispatcher.
"""

from bot.commands.dispatch import Commands
from bot.commands.names import KOREAN_NAMES, KOREAN_SCHEDULE_ACTIONS, canonical
from bot.commands.request import COMMAND, Request, parse_line

__all__ = ["COMMAND", "KOREAN_NAMES", "KOREAN_SCHEDULE_ACTIONS", "Commands", "Request", "canonical", "parse_line"]
