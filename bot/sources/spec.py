"""Sources from a setting such as ``PAPERBOT_SOURCES="hf, ./digests, https://…/{date}.md"``."""

from __future__ import annotations

import httpx

from bot.sources.base import Source
from bot.sources.huggingface import API_BASE, HuggingFaceSource
from bot.sources.markdown import markdown_source

HF_NAMES = frozenset({"hf", "huggingface"})


def source_from_spec(spec: str, *, hf_api: str = API_BASE, client: httpx.AsyncClient | None = None) -> Source:
    """``hf`` (or ``huggingface``) for Hugging Face; anything else is a Markdown file, folder or URL."""
    spec = spec.strip()
    if not spec:
        raise ValueError("empty source")
    if spec.lower() in HF_NAMES:
        return HuggingFaceSource(client=client, api_base=hf_api)
    return markdown_source(spec, client=client, name=spec)


def sources_from_setting(
    setting: str, *, hf_api: str = API_BASE, client: httpx.AsyncClient | None = None
) -> list[Source]:
    """A comma-separated list of sources, in order; blanks are skipped."""
    return [source_from_spec(s, hf_api=hf_api, client=client) for s in setting.split(",") if s.strip()]
