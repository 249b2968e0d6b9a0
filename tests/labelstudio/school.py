"""A term at a school, as the loop's end-to-end test lives it: what pupils' screens showed,
what the DSL decided, and what the labeller later said. Written for the project; never
graphic. Phrases come from the tiny fixture library (`tests.training.builders.LIBRARY`)."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from classifier.judge import KeywordJudge
from classifier.phrases import PhraseLibrary
from classifier.records import HitRecord, Source, idempotency_key
from classifier.scan import Scanner
from tests.agent.real_server import RealServer

#: What the DSL does with an incident the model suppressed: review it (found by search), put
#: it back in the queue without deciding, or leave it suppressed.
LEAVE, PROMOTE = "leave suppressed", "put back in the queue"
#: What the labeller does in Label Studio besides choosing a label.
UNLABELLED, SKIP = "not labelled yet", "skipped"


@dataclass(frozen=True)
class Screen:
    pupil: str
    application: str
    window_title: str
    text: str
    dsl: str          # innocent | concern | urgent | LEAVE | PROMOTE
    dsl_category: str | None  # a category correction with the decision
    labeller: str     # a model label, or UNLABELLED / SKIP


TERM = (
    Screen("NFA\\j.carter", "Discord", "Discord - #year9-chat",
           "honestly i just want to die, i cant do this anymore and nobody would care",
           "urgent", None, "suicide"),
    Screen("NFA\\m.okafor", "Google Chrome", "Search - Google",
           "how do i stop cutting myself when i feel this low", "concern", None, "self_harm"),
    Screen("NFA\\a.nowak", "Microsoft Word", "PSHE essay - Amelia Nowak.docx - Word",
           "Our assembly on suicide prevention explained how to ask a friend if they are ok.",
           "innocent", None, "none"),
    Screen("NFA\\t.evans", "Microsoft Teams", "Teams - Chat with Tom Evans",
           "everyone hates you, just stop coming to lunch with us", "concern", None,
           "bullying"),
    Screen("NFA\\k.ahmed", "Roblox", "Roblox", "this level is going to kill me lol, fourth try",
           "innocent", None, UNLABELLED),
    # The reviewer missed it; the labeller did not: reported, and the annotation wins.
    Screen("NFA\\r.begum", "Snapchat", "Snapchat",
           "he said he'd bring a knife to the park on friday to sort them out", "innocent",
           None, "violence"),
    Screen("NFA\\s.hughes", "Google Chrome", "BBC Food - Chrome",
           "Slice the peppers with a small knife and keep your fingers tucked in.", LEAVE,
           None, "none"),
    # Suppressed by the model and never seen by staff: the labeller finds a missed concern.
    Screen("NFA\\j.carter", "Discord", "Discord - #year9-chat",
           "they'd all be better off without me, i keep thinking about it", LEAVE, None,
           "suicide"),
    Screen("NFA\\l.patel", "Microsoft Edge", "Wikipedia - Edge",
           "The film's villain tries to stab the hero but misses.", PROMOTE, None, "none"),
    Screen("NFA\\m.okafor", "WhatsApp", "WhatsApp", "what a loser, you dropped the ball again",
           "concern", None, SKIP),
    # Two hits in one text (violence "kill", suicide "kill myself"); the DSL files it as
    # emotional distress, the labeller reads a joke.
    Screen("NFA\\k.ahmed", "Discord", "Discord - #year9-chat",
           "i will kill myself if mum sees this report card lol", "concern",
           "emotional_distress", "none"),
)

DEVICE_HOSTNAME = "NFA-LIB-07"


@dataclass
class Incident:
    id: str
    screen: Screen
    phrase: str
    status: str  # as the server answered at ingest


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def enrol(server: RealServer) -> tuple[str, str]:
    answer = httpx.post(f"{server.url}/api/v1/devices/enrol", timeout=30,
                        json={"enrolment_key": server.enrolment_key,
                              "hostname": DEVICE_HOSTNAME, "agent_version": "loop-tests"})
    answer.raise_for_status()
    body = answer.json()
    return body["device_id"], body["device_token"]


def send_term(server: RealServer, library: PhraseLibrary) -> list[Incident]:
    """Every hit of every screen, sent as the agent sends it (no screenshots needed)."""
    device_id, token = enrol(server)
    scanner = Scanner(library, KeywordJudge())
    start = datetime.now(UTC) - timedelta(days=30)
    incidents = []
    for n, screen in enumerate(TERM):
        observed = _iso(start + timedelta(days=n, minutes=n))
        for judged in scanner.scan(screen.text).hits:
            hit = HitRecord(
                key=idempotency_key(device_id, "screen", screen.window_title, judged.hit.phrase,
                                    judged.context, observed),
                device_id=device_id, user=screen.pupil, observed_at=observed,
                source=Source.SCREEN, phrase=judged.hit.phrase, category=judged.hit.category,
                severity=judged.hit.severity, start=judged.context_start,
                end=judged.context_end, context=judged.context,
                window_title=screen.window_title, application=screen.application,
                library_version=library.version)
            answer = httpx.post(f"{server.url}/api/v1/hits", timeout=60,
                                headers={"Authorization": f"Bearer {token}"},
                                data={"hit": json.dumps(hit.to_dict())})
            answer.raise_for_status()
            body = answer.json()
            incidents.append(Incident(body["incident_id"], screen, judged.hit.phrase,
                                      body["status"]))
    return incidents


def dsl_reviews(server: RealServer, incidents: list[Incident]) -> None:
    """The DSL's decisions, through the review API."""
    for incident in incidents:
        action = incident.screen.dsl
        if action == LEAVE:
            continue
        if action == PROMOTE:
            server.api("POST", f"/api/v1/incidents/{incident.id}/promote",
                       json={"note": "looks like a film plot, but check"})
            continue
        body: dict[str, Any] = {"decision": action, "note": "reviewed in the morning queue"}
        if incident.screen.dsl_category:
            body["category"] = incident.screen.dsl_category
        server.api("POST", f"/api/v1/incidents/{incident.id}/reviews", json=body)
