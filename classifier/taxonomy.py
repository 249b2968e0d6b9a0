"""The risk taxonomy: the one place where categories, labels and severities are defined.

Every package (agent, api, training, the UI) imports these names instead of spelling category
strings itself, so a renamed or added category cannot drift between the endpoint, the server
and the model's label list.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum


@dataclass(frozen=True, slots=True)
class Category:
    """A risk category as staff see it in the review queue."""

    id: str
    label: str
    description: str


CATEGORIES: tuple[Category, ...] = (
    Category("bullying", "Bullying",
             "Insults, threats, exclusion or humiliation aimed at a person, online or off."),
    Category("sexual_exploitation", "Sexual exploitation and grooming",
             "Grooming signs (secrecy, flattery, isolation, moving to private platforms), "
             "sextortion and requests for images."),
    Category("self_harm", "Self-harm",
             "Talk of hurting oneself, hiding injuries or searching for ways to self-harm."),
    Category("suicide", "Suicide",
             "Suicidal thoughts, intent, plans or goodbyes; possible imminent risk to life."),
    Category("emotional_distress", "Emotional distress",
             "Hopelessness, despair, panic, worthlessness or isolation without explicit "
             "self-harm."),
    Category("discrimination", "Discrimination and hate",
             "Hostility towards people for race, religion, disability, sex, sexuality or "
             "gender identity."),
    Category("extremism", "Radicalisation and extremism",
             "Extremist ideology, propaganda, recruitment or support for terrorist groups."),
    Category("violence", "Violence and weapons",
             "Threats to hurt others, weapons, fights, gangs and knife crime."),
    Category("substance_misuse", "Substance misuse",
             "Buying, using or dealing drugs and alcohol misuse."),
    Category("adult_content", "Adult content",
             "Pornography and explicit adult material searched for or viewed."),
    Category("gambling", "Gambling",
             "Betting, casinos, loot-box gambling and gambling debts."),
)

CATEGORY_IDS: tuple[str, ...] = tuple(c.id for c in CATEGORIES)
BY_ID: dict[str, Category] = {c.id: c for c in CATEGORIES}

#: The model's extra class for innocent use of a trigger phrase.
NONE = "none"
#: The model's output labels, in the order the model emits them.
MODEL_LABELS: tuple[str, ...] = (*CATEGORY_IDS, NONE)


class Severity(IntEnum):
    """Phrase severity: 5 is possible imminent risk to life or a child, 1 is low-level."""

    MINIMAL = 1
    LOW = 2
    MODERATE = 3
    HIGH = 4
    CRITICAL = 5


SEVERITY_MIN = int(Severity.MINIMAL)
SEVERITY_MAX = int(Severity.CRITICAL)


class UnknownCategoryError(ValueError):
    """Raised for a category identifier that is not in the taxonomy."""


def category(category_id: str) -> Category:
    """Look up a category, failing loudly on a typo rather than filing it nowhere."""
    try:
        return BY_ID[category_id]
    except KeyError:
        known = ", ".join(CATEGORY_IDS)
        raise UnknownCategoryError(
            f"unknown category {category_id!r}; known categories: {known}") from None


def check_severity(value: object) -> int:
    """Validate a severity from a file or request; bools and floats are refused."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"severity must be an integer {SEVERITY_MIN}-{SEVERITY_MAX}, got {value!r}")
    if not SEVERITY_MIN <= value <= SEVERITY_MAX:
        raise ValueError(f"severity must be {SEVERITY_MIN}-{SEVERITY_MAX}, got {value}")
    return value
