"""paperbot's one error hierarchy, and how an error becomes one line and an exit status.

- :class:`PaperbotError` — the base: its message is shown to the user as it is;
- :class:`UserError` — bad input (a usage error, a rejected query): exit 2;
- :class:`ConfigError` — a missing or rejected setting: exit 2;
- :class:`PlatformError` — Discord or Slack refused or failed: exit 1;
- :class:`StorageError` — the database cannot be opened, read or written: exit 1.

Other modules subclass these (``bot.store.StoreError`` is a :class:`StorageError`,
``bot.store.QueryError`` a :class:`UserError`, the CLI's ``UsageError`` a :class:`UserError`).
"""

from __future__ import annotations

import errno
import sqlite3

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class PaperbotError(Exception):
    """An error whose message is fit to show to a user as it is (no traceback)."""

    exit_code = EXIT_FAILED


class UserError(PaperbotError):
    """Bad input from the user: a wrong argument, an unusable query."""

    exit_code = EXIT_USAGE


class ConfigError(PaperbotError):
    """A missing or rejected setting; the message names the variable, never a secret's value."""

    exit_code = EXIT_USAGE


class PlatformError(PaperbotError):
    """A chat platform refused or failed a call."""


class StorageError(PaperbotError):
    """The database cannot be opened, read or written."""


def _storage_text(exc: BaseException) -> str | None:
    """What a SQLite or file-system error means for an operator, or None when it is none of the known kinds."""
    if isinstance(exc, OSError) and exc.errno is not None:
        if exc.errno == errno.ENOSPC:
            return "the disk is full"
        if exc.errno == errno.EROFS:
            return "the file system is read-only"
        if exc.errno in (errno.EACCES, errno.EPERM):
            return "permission denied"
        if exc.errno == errno.EISDIR:
            return "is a directory, not a database file"
        return None
    if not isinstance(exc, sqlite3.Error):
        return None
    text = str(exc).lower()
    if "readonly" in text or "read-only" in text:
        return "the database is read-only (check the permissions of the file and its folder)"
    if "disk is full" in text or "database or disk is full" in text:
        return "the disk is full"
    if "not a database" in text or "file is encrypted" in text:
        return "is not a SQLite database"
    if "disk i/o error" in text:
        return "disk I/O error (is the disk full or failing?)"
    if "unable to open database file" in text:
        return "cannot open the database file (missing folder or no permission)"
    if "database is locked" in text:
        return "the database is locked by another process"
    return None


def storage_reason(exc: BaseException) -> str | None:
    """The operator-facing reason for a storage failure, looking through the exception's causes.

    A failed COMMIT on a full disk surfaces as "cannot rollback - no transaction is active"
    from the ROLLBACK that followed; the real reason is in its context, so the chain is walked.
    """
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        reason = _storage_text(current)
        if reason is not None:
            return reason
        current = current.__cause__ or current.__context__
    return None
