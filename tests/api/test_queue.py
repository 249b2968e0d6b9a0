"""The review queue: urgent first, filters staff use, and pages that never skip or repeat."""
from __future__ import annotations

from datetime import timedelta

import pytest

from tests.api.factories import NOW, CueJudge, hit, iso, post_hit

#: (what the DSL would call it, phrase severity, model probability, hours ago)
RANKING = [
    ("fresh suicide risk, model sure",           5, 0.90, 1),
    ("same risk six days ago, still unreviewed", 5, 0.90, 24 * 6),
    ("grooming-level severity 4, just now",      4, 0.90, 0.1),
    ("moderate bullying, model very sure",       3, 0.95, 0.2),
    ("severity 5 the model doubts",              5, 0.20, 1),
    ("mild, model certain",                      2, 0.99, 0.1),
    ("severity 5 from a month ago",              5, 0.90, 24 * 30),
]


@pytest.fixture
def judge():
    return CueJudge({f"case {i}: i want to die": p for i, (_, _, p, _) in enumerate(RANKING)})


@pytest.fixture
def ranked(client, northfield) -> dict[str, str]:
    ids = {}
    for i, (name, severity, _, hours) in enumerate(RANKING):
        r = post_hit(client, northfield.device, hit(
            context=f"case {i}: i want to die", severity=severity, hours_ago=hours))
        assert r.status_code == 201
        ids[r.json()["incident_id"]] = name
    return ids


def queue(client, world, **params):
    r = client.get("/api/v1/incidents", params=params, headers=world.auth("reviewer"))
    assert r.status_code == 200, r.text
    return r.json()


def test_urgent_first_by_probability_severity_and_recency(client, northfield, ranked):
    order = [ranked[i["id"]] for i in queue(client, northfield)["items"]]
    assert order == [
        "fresh suicide risk, model sure",
        "same risk six days ago, still unreviewed",
        "grooming-level severity 4, just now",
        "moderate bullying, model very sure",
        "severity 5 the model doubts",
        "mild, model certain",
        "severity 5 from a month ago",  # four half-lives old; it escalated weeks ago
    ]


def test_risk_shown_decreases_down_the_queue(client, northfield, ranked):
    risks = [i["risk"] for i in queue(client, northfield)["items"]]
    assert risks == sorted(risks, reverse=True)
    assert 0.85 < risks[0] <= 0.9


def test_newest_first_when_asked(client, northfield, ranked):
    items = queue(client, northfield, sort="newest")["items"]
    times = [i["observed_at"] for i in items]
    assert times == sorted(times, reverse=True)


@pytest.mark.parametrize("sort", ["risk", "newest"])
@pytest.mark.parametrize("limit", [1, 3, 7])
def test_pages_cover_the_queue_once_each(client, northfield, ranked, sort, limit):
    whole = [i["id"] for i in queue(client, northfield, sort=sort, limit=50)["items"]]
    seen, cursor = [], None
    while True:
        params = {"sort": sort, "limit": limit} | ({"cursor": cursor} if cursor else {})
        page = queue(client, northfield, **params)
        seen += [i["id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == whole and len(whole) == len(RANKING)


def test_an_incident_arriving_mid_browse_is_not_repeated(client, northfield, ranked):
    first = queue(client, northfield, limit=3)
    post_hit(client, northfield.device, hit(context="case 0: i want to die", severity=5,
                                            hours_ago=0, user="NFA\\late"))
    rest = queue(client, northfield, limit=50, cursor=first["next_cursor"])
    ids = [i["id"] for i in first["items"]] + [i["id"] for i in rest["items"]]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("cursor,reason", [
    ("garbage", "not one this server issued"),
    ("eyJhIjoxfQ.AAAAAAAAAAAAAAAAAAAAAAAA", "not one this server issued"),
])
def test_a_forged_cursor_is_400(client, northfield, ranked, cursor, reason):
    r = client.get("/api/v1/incidents", params={"cursor": cursor},
                   headers=northfield.auth("reviewer"))
    assert r.status_code == 400 and reason in r.json()["detail"]


def test_a_cursor_from_another_sort_is_400(client, northfield, ranked):
    cursor = queue(client, northfield, limit=2, sort="newest")["next_cursor"]
    r = client.get("/api/v1/incidents", params={"cursor": cursor, "sort": "risk"},
                   headers=northfield.auth("reviewer"))
    assert r.status_code == 400 and "sort" in r.json()["detail"]


# --- filters -------------------------------------------------------------------------------

@pytest.fixture
def mixed(client, northfield) -> None:
    cases = [
        hit(context="nobody likes you, leave the group", phrase="nobody likes you",
            category="bullying", severity=3, user="NFA\\t.evans", hours_ago=2),
        hit(context="don't tell your parents we talk", phrase="don't tell your parents",
            category="sexual_exploitation", severity=5, user="NFA\\m.okafor", hours_ago=30),
        hit(context="i want to die honestly", user="NFA\\m.okafor", hours_ago=1),
        hit(context="essay: why people say i want to die as a joke", user="NFA\\s.hughes",
            hours_ago=3),  # suppressed by the judge: an essay
        hit(context="100% want to die after that test", user="NFA\\k.ahmed", hours_ago=5),
    ]
    for record in cases:
        assert post_hit(client, northfield.device, record).status_code == 201


def pupils(page) -> list[str]:
    return sorted(i["pupil"] for i in page["items"])


FILTERS = [
    ("the default queue hides suppressed", {},
     ["NFA\\k.ahmed", "NFA\\m.okafor", "NFA\\m.okafor", "NFA\\t.evans"]),
    ("suppressed incidents are searchable", {"status": "suppressed"}, ["NFA\\s.hughes"]),
    ("every status", {"status": ["new", "suppressed", "reviewed"]},
     ["NFA\\k.ahmed", "NFA\\m.okafor", "NFA\\m.okafor", "NFA\\s.hughes", "NFA\\t.evans"]),
    ("one category", {"category": "bullying"}, ["NFA\\t.evans"]),
    ("two categories", {"category": ["bullying", "sexual_exploitation"]},
     ["NFA\\m.okafor", "NFA\\t.evans"]),
    ("severity 5 only", {"min_severity": 5},
     ["NFA\\k.ahmed", "NFA\\m.okafor", "NFA\\m.okafor"]),
    ("one pupil", {"pupil": "NFA\\m.okafor"}, ["NFA\\m.okafor", "NFA\\m.okafor"]),
    ("the last day", {"since": iso(NOW - timedelta(hours=24))},
     ["NFA\\k.ahmed", "NFA\\m.okafor", "NFA\\t.evans"]),
    ("before yesterday", {"until": iso(NOW - timedelta(hours=24))}, ["NFA\\m.okafor"]),
    ("free text, any case", {"q": "LEAVE THE GROUP"}, ["NFA\\t.evans"]),
    ("free text matches the pupil", {"q": "okafor"}, ["NFA\\m.okafor", "NFA\\m.okafor"]),
    ("a % in the search is a percent sign", {"q": "100%"}, ["NFA\\k.ahmed"]),
    ("a lone % matches only a percent sign", {"q": "%"}, ["NFA\\k.ahmed"]),
]


@pytest.mark.parametrize("case,params,expected", FILTERS, ids=[f[0] for f in FILTERS])
def test_filters(client, northfield, mixed, case, params, expected):
    assert pupils(queue(client, northfield, **params)) == expected


def test_filter_by_device(client, northfield, mixed):
    assert len(queue(client, northfield, device_id=northfield.device_id)["items"]) == 4
    assert queue(client, northfield, device_id="00000000-0000-0000-0000-000000000000"
                 )["items"] == []


@pytest.mark.parametrize("params,field", [
    ({"category": "sadness"}, "category"), ({"min_severity": 9}, "min_severity"),
    ({"status": "pending"}, "status"), ({"since": "yesterday"}, "since"),
    ({"limit": 1000}, "limit"), ({"sort": "random"}, "sort"),
    ({"since": "2025-05-01T08:00:00"}, "since"),
])
def test_bad_filters_are_422_naming_the_field(client, northfield, params, field):
    r = client.get("/api/v1/incidents", params=params, headers=northfield.auth("reviewer"))
    assert r.status_code == 422 and r.json()["detail"].startswith(field)


def test_the_queue_shows_the_hit_in_its_words(client, northfield, mixed):
    item = queue(client, northfield, category="bullying")["items"][0]
    assert item["snippet"] == {"before": "", "match": "nobody likes you",
                               "after": ", leave the group"}
    assert item["has_screenshot"] is False
