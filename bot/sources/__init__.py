"""Digest sources: Markdown digests (file, folder, URL) and Hugging Face daily papers."""

from bot.http import FetchError
from bot.sources.base import Source, SourceResult
from bot.sources.huggingface import HuggingFaceSource
from bot.sources.markdown import MarkdownFileSource, MarkdownFolderSource, MarkdownUrlSource, markdown_source
from bot.sources.spec import source_from_spec, sources_from_setting

__all__ = [
    "FetchError",
    "HuggingFaceSource",
    "MarkdownFileSource",
    "MarkdownFolderSource",
    "MarkdownUrlSource",
    "Source",
    "SourceResult",
    "markdown_source",
    "source_from_spec",
    "sources_from_setting",
]
