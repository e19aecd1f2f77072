"""Is this paperbot's own code? A check run before the launcher imports anything else.

The wheel installs four top-level packages named after the source folders (``bot``, ``adapters``,
``storage``, ``seeds``; README "Development" says why). Another distribution in the same environment
can ship a package with one of those names and shadow or overwrite ours; the user would then see an
``ImportError`` from deep inside. This check says it in one line instead. ``bot`` itself cannot be
checked here (this module is in it): if ``bot`` is not ours, the ``paperbot`` script fails to start.
"""

from __future__ import annotations

import importlib
import sys

PACKAGES = ("adapters", "storage", "seeds")
EXIT_USAGE = 2  # as bot.errors.EXIT_USAGE: an installation problem is a configuration error


def foreign_packages() -> list[str]:
    """The top-level package names that resolve to something other than paperbot's, with where."""
    found = []
    for name in PACKAGES:
        try:
            module = importlib.import_module(name)
        except ImportError as exc:
            found.append(f"{name} (cannot be imported: {exc})")
            continue
        if not getattr(module, "PAPERBOT_PACKAGE", False):
            found.append(f"{name} ({getattr(module, '__file__', None) or 'namespace package'})")
    return found


def check_packages() -> None:
    """Exit with one line on stderr when another installed package has taken one of paperbot's names."""
    foreign = foreign_packages()
    if foreign:
        print(
            f"paperbot: another installed package shadows paperbot's top-level package {', '.join(foreign)};"
            " install paperbot in its own virtualenv (python -m venv, or pipx install)",
            file=sys.stderr,
        )
        raise SystemExit(EXIT_USAGE)
