"""The scheduled sync and the webhook marker: when a retrain is due, what a failed round
keeps, and what the receiver accepts. The receiver is a real HTTP server on loopback."""
from __future__ import annotations

import httpx
import pytest

from training.labelstudio.incidents import ReviewServerError
from training.labelstudio.sync import (
    SyncState,
    load_state,
    mark_retrained,
    run_forever,
    save_state,
    sync_round,
)
from training.labelstudio.webhook import SECRET_HEADER, WebhookReceiver

SECRET = "a-webhook-secret-for-tests"


def round_with(state_path, annotated: int, *, retrain_after: int = 10, push=lambda: None):
    return sync_round(push, lambda: annotated, state_path, retrain_after=retrain_after,
                      log=lambda _line: None)


@pytest.mark.parametrize("at_last_retrain, annotated_now, due", [
    (0, 0, False),
    (0, 9, False),
    (0, 10, True),
    (40, 49, False),
    (40, 50, True),
])
def test_a_retrain_is_due_after_enough_new_annotations(tmp_path, at_last_retrain,
                                                       annotated_now, due):
    state_path = tmp_path / "state.json"
    save_state(state_path, SyncState(annotated_at_last_retrain=at_last_retrain))
    assert round_with(state_path, annotated_now).retrain_due is due


def test_a_due_retrain_stays_due_until_it_has_run(tmp_path):
    state_path = tmp_path / "state.json"
    assert round_with(state_path, 12).retrain_due
    assert round_with(state_path, 12).retrain_due
    mark_retrained(state_path)
    state = round_with(state_path, 15)
    assert (state.retrain_due, state.new_annotations(), state.annotated_at_last_retrain) == (
        False, 3, 12)


def test_a_round_that_fails_is_recorded_and_loses_nothing(tmp_path):
    state_path = tmp_path / "state.json"
    round_with(state_path, 4)

    def server_down():
        raise ReviewServerError("review server http://127.0.0.1:9 is unreachable (ConnectError)")

    state = round_with(state_path, 99, push=server_down)
    assert "unreachable" in state.last_error
    assert state.annotated_now == 4  # the failed round counted nothing
    assert round_with(state_path, 5).last_error is None


def test_a_corrupt_state_file_is_an_error_naming_the_file(tmp_path):
    state_path = tmp_path / "state.json"
    state_path.write_text("{not json")
    with pytest.raises(ValueError, match="state.json"):
        load_state(state_path)


def test_the_job_runs_a_due_retrain_in_its_own_process_and_carries_on(tmp_path):
    state_path = tmp_path / "state.json"
    retrains: list[int] = []

    def retrain():
        retrains.append(1)
        mark_retrained(state_path)
        if len(retrains) == 1:
            raise RuntimeError("out of disk")  # a failed retrain must not stop the job

    counts = iter([3, 10, 11, 25])
    rounds = run_forever(lambda: round_with(state_path, next(counts)), 0.0, retrain=retrain,
                         rounds=4, log=lambda _line: None)
    assert rounds == 4 and len(retrains) == 2


# --- the webhook receiver ---------------------------------------------------------------------

@pytest.fixture
def receiver(tmp_path):
    server = WebhookReceiver(("127.0.0.1", 0), tmp_path / "state.json", SECRET, retrain_after=3)
    server.serve_in_thread()
    yield server
    server.shutdown()
    server.server_close()


def post(receiver, body: bytes | str, secret: str | None = SECRET, path: str = "/labelstudio"):
    headers = {SECRET_HEADER: secret} if secret is not None else {}
    url = receiver.url.replace("/labelstudio", path)
    return httpx.post(url, content=body, headers=headers, timeout=10)


@pytest.mark.parametrize("body, secret, path, status", [
    ('{"action": "ANNOTATION_CREATED"}', SECRET, "/labelstudio", 204),
    ('{"action": "PROJECT_UPDATED"}', SECRET, "/labelstudio", 204),
    ('{"action": "ANNOTATION_CREATED"}', "wrong-secret-of-some-length", "/labelstudio", 401),
    ('{"action": "ANNOTATION_CREATED"}', None, "/labelstudio", 401),
    ("not json", SECRET, "/labelstudio", 400),
    ('{"action": "ANNOTATION_CREATED"}', SECRET, "/elsewhere", 404),
])
def test_the_receiver_answers_each_request_plainly(receiver, body, secret, path, status):
    assert post(receiver, body, secret, path).status_code == status


def test_the_receiver_marks_a_retrain_due_after_enough_annotations(receiver, tmp_path):
    for action in ("ANNOTATION_CREATED", "PROJECT_UPDATED", "ANNOTATION_UPDATED"):
        post(receiver, f'{{"action": "{action}"}}')
    assert not load_state(tmp_path / "state.json").retrain_due
    post(receiver, '{"action": "ANNOTATIONS_CREATED"}')
    state = load_state(tmp_path / "state.json")
    assert (state.webhook_events, state.retrain_due) == (3, True)


def test_the_receiver_refuses_an_oversized_body(receiver):
    assert post(receiver, b"{" + b" " * 70_000 + b"}").status_code == 413


def test_a_short_secret_is_refused(tmp_path):
    with pytest.raises(ValueError, match="16 characters"):
        WebhookReceiver(("127.0.0.1", 0), tmp_path / "s.json", "short", retrain_after=1)
