"""The classifier inside the server: loaded once, fed in batches, never on the event loop.

Ingest requests each put one context on a queue; a single worker collects whatever arrives
within a few milliseconds (up to a batch size) and runs the judge on it in a worker thread.
Under load that turns many small model calls into a few batched ones; when idle a request
waits at most `batch_wait_ms`.
"""
from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from classifier.judge import ContextInput, Judge, Verdict, load_judge

log = logging.getLogger(__name__)


class ScoringUnavailable(RuntimeError):
    """The classifier failed; the hit is refused (the agent keeps it and retries)."""


def load_server_judge(*, keywords_only: bool, model_dir, threads: int | None) -> Judge:
    """`load_judge()` as the settings ask: the newest shipped model unless told otherwise.

    A model folder that is configured but broken stops the server at start-up (load_judge
    raises): scoring silently by keywords would flood the queue without anyone knowing why.
    """
    return load_judge(model_dir, keywords_only=keywords_only, threads=threads)


def reload_newest_model(batching: "BatchingJudge", *, threads: int | None) -> str | None:
    """Swap in a newly published context model without a restart; returns its version.

    Runs in a worker thread from the scheduled jobs, so loading (seconds) never blocks
    requests; the batcher reads its judge once per batch, so the swap lands between batches.
    A broken new version is logged and the model in service stays.
    """
    from classifier.onnx_model import ModelArtefactError, newest_model_dir

    directory = newest_model_dir()
    if directory is None or directory.name == batching.version:
        return None
    try:
        fresh = load_judge(directory, threads=threads)
    except (ModelArtefactError, OSError, ValueError) as exc:
        log.error("new context model %s not loaded, keeping %s: %s",
                  directory.name, batching.version, exc)
        return None
    previous, batching.judge = batching.version, fresh
    log.info("context model reloaded: %s -> %s", previous, fresh.version)
    return fresh.version


@dataclass
class _Pending:
    item: ContextInput
    future: asyncio.Future[Verdict]


class BatchingJudge:
    def __init__(self, judge: Judge, *, batch_size: int = 32, batch_wait_ms: float = 5.0) -> None:
        self.judge = judge
        self.batch_size = batch_size
        self.batch_wait_s = batch_wait_ms / 1000
        self._queue: asyncio.Queue[_Pending] | None = None
        self._worker: asyncio.Task[None] | None = None
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="judge")

    @property
    def version(self) -> str:
        return self.judge.version

    async def start(self) -> None:
        self._queue = asyncio.Queue()
        self._worker = asyncio.create_task(self._run(), name="judge-batcher")

    async def stop(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            try:
                await self._worker
            except asyncio.CancelledError:
                pass
        self._executor.shutdown(wait=False, cancel_futures=True)

    async def score(self, item: ContextInput) -> Verdict:
        if self._queue is None:
            raise ScoringUnavailable("the classifier is not running")
        future: asyncio.Future[Verdict] = asyncio.get_running_loop().create_future()
        await self._queue.put(_Pending(item, future))
        return await future

    async def _run(self) -> None:
        assert self._queue is not None
        loop = asyncio.get_running_loop()
        while True:
            batch = [await self._queue.get()]
            deadline = loop.time() + self.batch_wait_s
            while len(batch) < self.batch_size:
                try:
                    batch.append(self._queue.get_nowait())
                    continue
                except asyncio.QueueEmpty:
                    pass
                remaining = deadline - loop.time()
                if remaining <= 0:
                    break
                try:
                    batch.append(await asyncio.wait_for(self._queue.get(), remaining))
                except TimeoutError:
                    break
            items = [p.item for p in batch]
            try:
                verdicts = await loop.run_in_executor(self._executor, self.judge.judge, items)
                if len(verdicts) != len(items):
                    raise ScoringUnavailable("the classifier returned the wrong number of verdicts")
            except Exception as exc:  # the model failed: every waiting hit is refused, not lost
                log.exception("classifier failed on a batch of %d", len(items))
                for p in batch:
                    if not p.future.done():
                        p.future.set_exception(
                            ScoringUnavailable(f"classifier failed: {type(exc).__name__}"))
                continue
            for p, verdict in zip(batch, verdicts):
                if not p.future.done():
                    p.future.set_result(verdict)
