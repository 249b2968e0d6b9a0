"""Jinja2 for the review pages: always autoescaped, with the filters every template shares.

Pupils' words, window titles and logins are shown on every page, so escaping is not left to
file extensions: the environment escapes everything, and templates never mark user text safe.
"""
from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import jinja2
from starlette.templating import Jinja2Templates

from classifier.taxonomy import CATEGORIES, NONE, Severity, UnknownCategoryError, category

HERE = Path(__file__).resolve().parent
TEMPLATES_DIR = HERE / "templates"
STATIC_DIR = HERE / "static"
STATIC_URL = "/static"

#: Staff read times in the school's clock, not UTC. One trust, one country for now; a
#: per-school zone belongs in the school's settings when a trust spans zones.
DISPLAY_ZONE = ZoneInfo("Europe/London")

SEVERITY_NAMES = {s.value: s.name.title() for s in Severity}


def category_label(category_id: str | None) -> str:
    if not category_id:
        return "—"
    if category_id == NONE:
        return "None (innocent use)"
    try:
        return category(category_id).label
    except UnknownCategoryError:
        return category_id


def local(moment: datetime | None) -> datetime | None:
    return moment.astimezone(DISPLAY_ZONE) if moment is not None else None


def when(moment: datetime | None, fmt: str = "%d %b %Y, %H:%M") -> str:
    return local(moment).strftime(fmt) if moment is not None else "—"


def iso(moment: datetime | None) -> str:
    return moment.astimezone(UTC).isoformat() if moment is not None else ""


def ago(moment: datetime | None, now: datetime | None = None) -> str:
    """'12 min ago': the queue is read for what is fresh, the exact time is on hover."""
    if moment is None:
        return "never"
    seconds = ((now or datetime.now(UTC)) - moment).total_seconds()
    if seconds < 60:
        return "just now"
    for unit, size in (("day", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            count = int(seconds // size)
            return f"{count} {unit}{'s' if unit == 'day' and count != 1 else ''} ago"
    return "just now"


def duration(value: timedelta | None) -> str:
    if value is None:
        return "—"
    minutes = int(value.total_seconds() // 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes:02d} min"
    return f"{hours // 24} days {hours % 24} h"


def percent(value: float | None, digits: int = 0) -> str:
    return "—" if value is None else f"{value * 100:.{digits}f}%"


def _static_version() -> str:
    """A digest of the static files, so a deployment never runs yesterday's script."""
    digest = hashlib.sha256()
    for path in sorted(STATIC_DIR.rglob("*")):
        if path.is_file():
            digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:10]


_VERSION = _static_version()


def static_url(name: str) -> str:
    return f"{STATIC_URL}/{name}?v={_VERSION}"


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES_DIR), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True,
                             lstrip_blocks=True)
    env.filters.update(category_label=category_label, when=when, iso=iso, ago=ago,
                       duration=duration, percent=percent)
    env.globals.update(static_url=static_url, categories=CATEGORIES,
                       severity_names=SEVERITY_NAMES)
    return env


templates = Jinja2Templates(env=_environment())
