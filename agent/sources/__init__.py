"""Text sources behind one interface (`TextSource.poll() -> list[Observation]`)."""
from agent.sources.base import (
    Frame,
    Observation,
    SourceUnavailable,
    SourceUnsupported,
    TextSource,
)
from agent.sources.feed import FileFeed, PipeFeed, SocketFeed, parse_line
from agent.sources.screen import ScreenSource
from agent.sources.title import TitleSource

__all__ = ["FileFeed", "Frame", "Observation", "PipeFeed", "ScreenSource", "SocketFeed",
           "SourceUnavailable", "SourceUnsupported", "TextSource", "TitleSource", "parse_line"]
