"""Scoring in the server: the context model decides new or suppressed, batched off the loop."""
from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from api.models import Incident
from api.scoring import BatchingJudge
from classifier.judge import ContextInput
from tests.api.factories import CueJudge, hit, post_hit


def incident_count(services) -> int:
    with services.session_factory() as session:
        return session.scalar(select(func.count()).select_from(Incident))


@pytest.fixture
def judge():
    return CueJudge()


@pytest.mark.parametrize("context,phrase,status", [
    ("honestly i want to die, nobody would notice", "want to die", "new"),
    ("this maths homework makes me want to die lol", "want to die", "suppressed"),
    ("in the game you want to die less than the boss", "want to die", "suppressed"),
])
def test_the_context_model_decides_new_or_suppressed(client, northfield, db, context, phrase,
                                                     status):
    r = post_hit(client, northfield.device, hit(context=context, phrase=phrase))
    assert r.status_code == 201 and r.json()["status"] == status
    incident = db.get(Incident, r.json()["incident_id"])
    assert incident.model_version == "cue-judge-1"
    assert incident.model_alert is (status == "new")
    assert set(incident.scores) == {"suicide", "none"}


def test_a_failing_model_refuses_the_hit_with_503(client, northfield, services, judge):
    def broken(items):
        raise RuntimeError("onnx session died")
    judge.judge = broken
    r = post_hit(client, northfield.device, hit())
    assert r.status_code == 503 and "classifier failed" in r.json()["detail"]
    assert incident_count(services) == 0



def test_concurrent_hits_are_judged_in_batches():
    """Forty hits arriving together cost a handful of model calls, not forty."""
    judge = CueJudge()

    async def main() -> list:
        batching = BatchingJudge(judge, batch_size=16, batch_wait_ms=20)
        await batching.start()
        try:
            return await asyncio.gather(*(batching.score(ContextInput(
                f"i want to die {i}", 2, 13, "suicide")) for i in range(40)))
        finally:
            await batching.stop()

    verdicts = asyncio.run(main())
    assert len(verdicts) == 40 and all(v.alert for v in verdicts)
    assert sum(judge.calls) == 40
    assert len(judge.calls) <= 4 and max(judge.calls) == 16


def test_by_default_the_server_asks_load_judge_for_the_newest_model(settings, monkeypatch,
                                                                    tmp_path):
    """No model ships in this models folder, so load_judge() gives the keyword baseline; the
    server must not force keywords-only itself."""
    from fastapi.testclient import TestClient

    from api import create_app

    (tmp_path / "models" / "context").mkdir(parents=True)
    monkeypatch.setenv("SAFEGUARD_MODELS_DIR", str(tmp_path / "models"))
    default = settings.model_copy(update={"keywords_only": False})
    with TestClient(create_app(default)) as client:
        assert client.get("/healthz").json()["model_version"] == "keywords-only"


def test_a_configured_model_that_cannot_load_stops_the_server(settings, tmp_path):
    """Silently scoring by keywords would flood the queue; refusing to start is louder."""
    from fastapi.testclient import TestClient

    from api import create_app
    from classifier.onnx_model import ModelArtefactError

    broken = settings.model_copy(update={"keywords_only": False, "model_dir": tmp_path})
    with pytest.raises(ModelArtefactError), TestClient(create_app(broken)):
        pass
