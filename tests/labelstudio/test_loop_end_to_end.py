"""The whole learning loop against real servers: the review server (`safeguard-server`, its
own SQLite database, hits sent as the agent sends them, decisions made through its API) and a
real Label Studio. Push, label as a labeller would, push again (nothing new), pull, retrain a
tiny model, compare, and promote or refuse."""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from classifier.judge import load_judge
from classifier.onnx_model import newest_model_dir
from classifier.phrases import PhraseLibrary
from tests.agent.real_server import RealServer
from tests.labelstudio.conftest import CURRENT, LabelStudioServer
from tests.labelstudio.school import LEAVE, PROMOTE, SKIP, UNLABELLED, dsl_reviews, send_term
from tests.training.builders import tiny_config, write_manifest, write_seed
from training.config import load_config
from training.labelstudio.incidents import ReviewServer
from training.labelstudio.interface import choice_result
from training.labelstudio.project import connect, tasks
from training.labelstudio.pseudonym import Pseudonymiser
from training.labelstudio.pull import export, read_export, save
from training.labelstudio.push import push
from training.labelstudio.settings import Endpoint, LearningPaths
from training.labelstudio.sync import annotated_tasks, load_state, sync_round
from training.labelstudio.webhook import WebhookReceiver, register
from training.loop import FROZEN_TEST, NEW_HELD_OUT, retrain, wait_for_server

PROJECT = "Northfield context model"


@pytest.mark.slow
@pytest.mark.timeout(1500)
def test_reviewed_incidents_go_round_the_loop(label_studio: LabelStudioServer,
                                              review_server: RealServer, models: Path,
                                              tmp_path: Path) -> None:
    library = PhraseLibrary.load(models / "phrases")
    incidents = send_term(review_server, library)
    assert incidents and {i.status for i in incidents} == {"suppressed"}
    dsl_reviews(review_server, incidents)
    pushed = [i for i in incidents if i.screen.dsl != PROMOTE]  # a queued, undecided hit waits

    ls = connect(Endpoint(label_studio.url, SecretStr(label_studio.token)))
    dsl = Endpoint(review_server.url, SecretStr(review_server.tokens["dsl"]))
    judge = load_judge(models / "context" / CURRENT, threads=1)
    names = Pseudonymiser(b"northfield-test-salt-0123456789")
    paths = LearningPaths(tmp_path / "learning")

    def push_now():
        with ReviewServer(dsl) as server:
            return push(ls, server, judge, names, project_title=PROJECT,
                        suppressed_fraction=1.0, log=lambda _line: None)

    # 1. Push: one task per reviewed or (sampled) suppressed incident, pre-annotated.
    first = push_now()
    assert first.project_created and first.added == len(pushed) and first.already_there == 0
    assert (first.reviewed, first.suppressed) == (
        sum(i.screen.dsl not in (LEAVE, PROMOTE) for i in pushed),
        sum(i.screen.dsl == LEAVE for i in pushed))
    pushed_tasks = {t.data["incident_id"]: t for t in tasks(ls, first.project_id)}
    assert set(pushed_tasks) == {i.id for i in pushed}
    for incident in pushed:
        data = pushed_tasks[incident.id].data
        assert data["phrase"] == incident.phrase  # a prefix phrase ("suicid") marks a word
        assert data["text"][data["start"]:data["end"]].casefold().startswith(incident.phrase)
        assert f"<mark><b>{data['text'][data['start']:data['end']]}</b></mark>" in data["html"]
        assert data["reviewer_decision"] == ("" if incident.screen.dsl == LEAVE
                                             else incident.screen.dsl)
        assert data["model_label"] == "none" and data["model_score"] < 1.0

    # Text only, pseudonymised: no login, no device id, no window title leaves the server.
    sent = json.dumps([t.data for t in pushed_tasks.values()])
    device_id = review_server.incident(incidents[0].id)["device_id"]
    for secret in ("j.carter", "m.okafor", "NFA", device_id, "Amelia Nowak", "Tom Evans",
                   "screenshot"):
        assert secret not in sent
    assert names.pupil("NFA\\j.carter") in sent

    # Active learning: Label Studio serves the most uncertain task first.
    served = httpx.get(f"{label_studio.url}/api/projects/{first.project_id}/next", timeout=30,
                       headers={"Authorization": f"Bearer {label_studio.access_token()}"})
    served.raise_for_status()
    assert served.json()["data"]["uncertainty"] == max(
        t.data["uncertainty"] for t in pushed_tasks.values())

    # 2. Label as a labeller would, with the webhook receiver counting.
    receiver = WebhookReceiver(("127.0.0.1", 0), paths.state, "webhook-secret-0123456789",
                               retrain_after=1000)
    receiver.serve_in_thread()
    try:
        register(ls, first.project_id, receiver.url, "webhook-secret-0123456789")
        for incident in pushed:
            task_id = pushed_tasks[incident.id].id
            if incident.screen.labeller == UNLABELLED:
                continue
            if incident.screen.labeller == SKIP:
                ls.annotations.create(id=task_id, result=[], was_cancelled=True)
            else:
                ls.annotations.create(id=task_id, result=choice_result(incident.screen.labeller),
                                      lead_time=14.0)
    finally:
        receiver.shutdown()
    done = [i for i in pushed if i.screen.labeller not in (UNLABELLED, SKIP)]
    assert load_state(paths.state).webhook_events >= len(done)

    # 3. The scheduled sync pushes again: nothing new; it counts the annotations.
    state = sync_round(push_now, lambda: annotated_tasks(ls, PROJECT), paths.state,
                       retrain_after=len(done), log=lambda _line: None)
    assert state.last_error is None and state.retrain_due
    assert len(list(tasks(ls, first.project_id))) == len(pushed)
    again = push_now()
    assert (again.added, again.already_there, again.project_created) == (0, len(pushed), False)

    # 4. Pull: labelled tasks become rows, the rest are dropped, disagreements reported.
    pulled = read_export(export(ls, PROJECT))
    save(pulled, paths.labelled, paths.progress, paths.disagreements)
    assert {r["incident_id"]: r["label"] for r in pulled.rows} == {
        i.id: i.screen.labeller for i in done}
    states = Counter(p["state"] for p in pulled.progress)
    assert states == {"labelled": len(done), "unlabelled": 1, "skipped": 1}
    expected = {(i.id, kind) for i in pushed for kind in [_kind(i)] if kind}
    assert {(d.incident_id, d.kind) for d in pulled.disagreements} == expected
    assert "missed concern" in {kind for _, kind in expected}

    # 5. Retrain a tiny model on seed corpus + labelled rows; compare; promote or refuse.
    corpus = tmp_path / "corpus"
    config = load_config(tiny_config(corpus, seed_dir=write_seed(corpus / "seed"),
                                     splits=write_manifest(corpus / "splits.json")))
    outcome = retrain(config, paths=paths, models_root=models / "context", library=library,
                      log=lambda _line: None)
    names_ = [e.name for e in outcome.evaluations]
    assert FROZEN_TEST in names_ and NEW_HELD_OUT in names_
    assert outcome.evaluations[0].current["examples"] > 0
    assert outcome.data["labelled_rows"] == len(done)
    report = outcome.report.read_text()
    assert f"vs {CURRENT}" in report and FROZEN_TEST in report
    if outcome.promoted:
        assert not outcome.reasons and "**promoted**" in report
        assert newest_model_dir(models / "context") == models / "context" / outcome.version
        review_server.stop()
        review_server.start()  # the server serves the newest version it finds
        assert wait_for_server(review_server.url, outcome.version, 30, log=lambda _line: None)
    else:
        assert outcome.reasons and "**not promoted**" in report
        assert (paths.candidates / outcome.version).is_dir()
        assert newest_model_dir(models / "context") == models / "context" / CURRENT
        assert not wait_for_server(review_server.url, outcome.version, 0, log=lambda _l: None)


def _kind(incident) -> str | None:
    """The disagreement a safeguarding lead expects to be told about, from the table."""
    screen = incident.screen
    label = screen.labeller
    if label in (UNLABELLED, SKIP):
        return None
    if screen.dsl == LEAVE:
        return "missed concern" if label != "none" else None
    if screen.dsl in ("concern", "urgent") and label == "none":
        return "false alert"
    if screen.dsl == "innocent" and label != "none":
        return "reviewer said innocent"
    category = screen.dsl_category or incident_category(incident)
    return "category" if screen.dsl in ("concern", "urgent") and label != category else None


def incident_category(incident) -> str:
    from tests.training.builders import LIBRARY

    return next(cat for cat, phrases in LIBRARY.items()
                for phrase, _, _ in phrases if phrase == incident.phrase)
