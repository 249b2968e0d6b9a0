"""A demo feed: a morning of text a school laptop might show, for `safeguard-agent run
--feed` (the README's quick start replays it so a new user sees ranked incidents at once).
Written for the project: realistic, never graphic."""
from pathlib import Path

FEED = Path(__file__).with_name("feed.jsonl")
