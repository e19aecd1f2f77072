"""The Markdown digest format: parse a daily-papers file, and render a digest back.

The canonical format, one entry per paper::

    ## Daily Papers (2024-06-28)

    ### [Title](https://arxiv.org/abs/2406.18629)

    ![](https://…/2406.18629.png)

    [Watch Video](https://….mp4)

    Vote: 14

    Authors: Senqiao Yang, Yukang Chen

    Links: [Code](https://github.com/…), [Project page](https://…)

    - **What's New**: …
    - **Technical Details**: …
    - **Contributions**:
      - first item
      - second item

``render`` writes the canonical form, and ``parse(render(d)) == d`` for every digest
whose text is canonical (whitespace-normalised single-line fields; a section is one
line, optionally followed by list items ``- …``, ``1) …``, ``(1) …``; unique authors).

``parse`` reads every form the Korean daily-papers digest has used since 2023-11:
plain ``- sentence`` bullets without labels (one "Summary" section, a line per bullet),
``**label**`` / ``***label***`` / curly-apostrophe / Korean labels, unlabelled and
indented continuation lines (part of the section above), Python list literals for authors
and section bodies, a video (Markdown link or ``<video src>``) as the paper's media,
repeated dated headers, links relative to huggingface.co. It is linear in the size of
the file, and a file above :func:`max_digest_bytes` is refused as a whole.

Links are safe: a paper's link is stored as ``https://arxiv.org/abs/<id>[vN]`` and its id
is only taken from a genuine arxiv.org / huggingface.co link or a relative ``/papers/<id>``;
thumbnails and media are ``https://`` URLs only, extra links http(s) only; anything else is
dropped with a warning at ``path:line``. A malformed entry becomes an error at
``path:line`` and every good entry is kept.

The package, one job a module: :mod:`~bot.digest_markdown.parser` (``parse``, ``parse_file``,
``summarize``) reads a file with :mod:`~bot.digest_markdown.lines` (what a line is),
:mod:`~bot.digest_markdown.entry` (a paper being assembled), :mod:`~bot.digest_markdown.fields`
(whitespace, list literals, authors) and :mod:`~bot.digest_markdown.links` (safe URLs, videos);
:mod:`~bot.digest_markdown.render` writes one back; :mod:`~bot.digest_markdown.files` holds the
digest file suffixes and the size cap.
"""

from bot.digest_markdown.entry import SUMMARY
from bot.digest_markdown.fields import squash
from bot.digest_markdown.files import (
    DEFAULT_MAX_DIGEST_BYTES,
    DIGEST_SUFFIXES,
    MAX_DIGEST_BYTES_ENV,
    is_digest_file,
    max_digest_bytes,
    too_large,
)
from bot.digest_markdown.lines import MAX_LABEL
from bot.digest_markdown.links import HF_BASE, VIDEO_SUFFIXES, absolute_thumbnail, safe_https, safe_web_url
from bot.digest_markdown.parser import parse, parse_file, summarize
from bot.digest_markdown.render import render

__all__ = [
    "DEFAULT_MAX_DIGEST_BYTES",
    "DIGEST_SUFFIXES",
    "HF_BASE",
    "MAX_DIGEST_BYTES_ENV",
    "MAX_LABEL",
    "SUMMARY",
    "VIDEO_SUFFIXES",
    "absolute_thumbnail",
    "is_digest_file",
    "max_digest_bytes",
    "parse",
    "parse_file",
    "render",
    "safe_https",
    "safe_web_url",
    "squash",
    "summarize",
    "too_large",
]
