"""The running agent: one thread per source, one uploader, one heartbeat, and the capture
loop in between. A part that cannot work (no display, no Tesseract, no server) says so once
and is retried on its own; the rest of the agent keeps going, and nothing crash-loops."""
from __future__ import annotations

import getpass
import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from contextlib import suppress
from pathlib import Path

from agent.capture import Capturer
from agent.client import DeviceNotAuthorised, ServerClient, ServerError, ServerUnavailable
from agent.config import AgentConfig
from agent.credentials import DeviceCredentials, ensure_private_dir
from agent.health import Health
from agent.prefilter import LibraryStore, RepeatSuppressor
from agent.scoring import DeviceScorer
from agent.sources import (
    FileFeed,
    Observation,
    PipeFeed,
    ScreenSource,
    SocketFeed,
    SourceUnavailable,
    SourceUnsupported,
    TextSource,
    TitleSource,
)
from agent.spool import Spool, SpoolWriteError, spool_path
from agent.uploader import Backoff, Uploader, not_authorised, unreachable
from classifier.records import utc_now

log = logging.getLogger("agent")

#: The last capture time is written to disk at most this often (and at every heartbeat).
CAPTURE_SAVE_SECONDS = 60.0
#: Retry delays for a source that cannot work right now (doubling up to the last).
SOURCE_RETRY_SECONDS = (5.0, 10.0, 30.0, 60.0)


def build_sources(config: AgentConfig,
                  resume: Callable[[str], object] | None = None) -> list[TextSource]:
    sources: list[TextSource] = []
    if config.screen.enabled:
        labeller = TitleSource(display=config.screen.display)

        def window():
            try:
                return labeller.current_window()
            except (SourceUnavailable, SourceUnsupported):
                return None

        sources.append(ScreenSource(cadence=config.screen.cadence_seconds,
                                    monitors=config.screen.monitors,
                                    tile=config.screen.tile_size,
                                    languages=config.screen.languages,
                                    display=config.screen.display, window=window))
    if config.title.enabled:
        sources.append(TitleSource(cadence=config.title.cadence_seconds,
                                   display=config.screen.display))
    sources.extend(FileFeed(p, follow=config.feed.follow, resume=resume)
                   for p in config.feed.files)
    sources.extend(PipeFeed(p) for p in config.feed.pipes)
    sources.extend(SocketFeed(p) for p in config.feed.sockets)
    return sources


class Agent:
    def __init__(self, config: AgentConfig, creds: DeviceCredentials, *,
                 sources: Sequence[TextSource] | None = None) -> None:
        self.config = config
        self.creds = creds
        self.state_dir = ensure_private_dir(config.state_dir)
        self.spool = Spool(spool_path(self.state_dir),
                           max_bytes=int(config.spool.max_megabytes * 1_000_000))
        self.health = Health(persist=self._persist_problems)
        self.spool.set_meta("problems", {})
        self.library = LibraryStore(self.state_dir,
                                    Path(config.prefilter.phrases_dir)
                                    if config.prefilter.phrases_dir else None)
        scorer = (DeviceScorer.load(self.state_dir, config.scoring.model_dir)
                  if config.scoring.on_device else None)
        self.uploader = Uploader(self.spool, self.client, self.health,
                                 Backoff(config.upload.backoff_initial_seconds,
                                         config.upload.backoff_max_seconds))
        self.capturer = Capturer(
            library=self.library,
            suppressor=RepeatSuppressor(config.prefilter.repeat_suppression_seconds),
            spool=self.spool, health=self.health, device_id=creds.device_id,
            user=config.agent.user or getpass.getuser(),
            screenshot_format=config.screen.screenshot_format,
            screenshot_lossless=config.screen.screenshot_lossless,
            screenshot_quality=config.screen.screenshot_quality, scorer=scorer,
            on_spooled=self.uploader.wake.set)
        self.sources = list(sources) if sources is not None \
            else build_sources(config, resume=self.spool.get_meta)
        self.observations: queue.Queue[Observation] = queue.Queue(maxsize=1000)
        self.last_capture_at: str | None = None
        self._capture_saved = -CAPTURE_SAVE_SECONDS
        self.stop = threading.Event()

    @property
    def server_url(self) -> str:
        return self.config.server.url or self.creds.server_url

    def client(self) -> ServerClient:
        return ServerClient(self.server_url, self.creds.device_token,
                            timeout=self.config.server.timeout_seconds,
                            ca_file=self.config.server.ca_file)

    def _persist_problems(self, problems: dict) -> None:
        self.spool.set_meta("problems", problems)

    # -- threads -------------------------------------------------------------------------
    def run(self) -> None:
        log.info("agent started: device %s, phrase library %s, %d source(s): %s",
                 self.creds.device_id, self.library.version, len(self.sources),
                 ", ".join(s.name for s in self.sources) or "none")
        self.spool.set_meta("agent_started_at", utc_now())
        self.spool.set_meta("library_version", self.library.version)
        threads = [threading.Thread(target=self._source_loop, args=(s,), name=s.name,
                                    daemon=True) for s in self.sources]
        threads.append(threading.Thread(target=self._guard(self.uploader.run), args=(self.stop,),
                                        name="uploader", daemon=True))
        threads.append(threading.Thread(target=self._guard(self._heartbeat_loop),
                                        name="heartbeat", daemon=True))
        for thread in threads:
            thread.start()
        try:
            self._capture_loop()
        finally:
            self.stop.set()
            self.uploader.wake.set()
            for thread in threads:
                thread.join(timeout=10)
            for source in self.sources:
                try:
                    source.close()
                except Exception:
                    log.debug("closing %s failed", source.name, exc_info=True)
            self._save_capture_time()
            log.info("agent stopped; %d hit(s) wait in the spool", self.spool.stats().pending)

    def _guard(self, target: Callable[..., None]) -> Callable[..., None]:
        """Run a thread body; an unexpected error is logged once and the body restarted
        after a pause instead of the thread dying silently."""
        def body(*args: object) -> None:
            while not self.stop.is_set():
                try:
                    target(*args)
                    return
                except Exception as exc:
                    log.exception("%s failed unexpectedly; restarting it in 30 s",
                                  threading.current_thread().name)
                    self.health.report(threading.current_thread().name,
                                       f"unexpected error: {exc}")
                    self.stop.wait(30)
        return body

    def _capture_loop(self) -> None:
        last_flush = time.monotonic()
        while not self.stop.is_set():
            try:
                observation = self.observations.get(timeout=0.5)
            except queue.Empty:
                observation = None
            if observation is not None:
                try:
                    self.capturer.process(observation)
                except Exception as exc:
                    log.exception("could not process text from %s", observation.source)
                    self.health.report("capture", f"unexpected error: {exc}")
            if self.capturer.waiting and time.monotonic() - last_flush > 5:
                self.capturer.flush()
                last_flush = time.monotonic()

    def _source_loop(self, source: TextSource) -> None:
        failures = 0
        while not self.stop.is_set():
            started = time.monotonic()
            try:
                observations = source.poll()
            except SourceUnsupported as exc:
                self.health.report(source.name, f"{exc}; this source is off",
                                   level=logging.WARNING)
                return
            except SourceUnavailable as exc:
                delay = SOURCE_RETRY_SECONDS[min(failures, len(SOURCE_RETRY_SECONDS) - 1)]
                failures += 1
                self.health.report(source.name, f"{exc}; retrying every "
                                   f"{SOURCE_RETRY_SECONDS[-1]:g} s at most")
                self.stop.wait(delay)
                continue
            except Exception as exc:
                log.exception("%s failed", source.name)
                self.health.report(source.name, f"unexpected error: {exc}; retrying in 60 s")
                self.stop.wait(60)
                continue
            if failures:
                failures = 0
            self.health.clear(source.name, "working again")
            self.last_capture_at = utc_now()
            if time.monotonic() - self._capture_saved > CAPTURE_SAVE_SECONDS:
                self._save_capture_time()  # for `status`; at most once a minute (disk wear)
            for observation in observations:
                self.observations.put(observation)
            self.stop.wait(max(0.0, source.cadence - (time.monotonic() - started)))

    def _heartbeat_loop(self) -> None:
        with self.client() as client:
            while not self.stop.is_set():
                self.beat(client)
                self.stop.wait(self.config.server.heartbeat_seconds)

    def beat(self, client: ServerClient) -> None:
        """One heartbeat; fetches the school's overlay when the server's version moved."""
        stats = self.spool.stats()
        self._save_capture_time()
        try:
            versions = client.heartbeat(spool_depth=stats.pending,
                                        dropped_screenshots=stats.dropped_screenshots,
                                        last_capture_at=self.last_capture_at,
                                        last_error=self.health.summary())
            self.spool.set_meta("last_heartbeat_at", utc_now())
            if self.library.needs_update(versions.library_version, versions.overlay_version):
                self.library.apply(client.overlay())
                self.spool.set_meta("library_version", self.library.version)
            self.health.clear("phrases")
        except ServerUnavailable as exc:
            self.health.report("server", unreachable(exc), level=logging.WARNING)
        except DeviceNotAuthorised as exc:
            self.health.report("server", not_authorised(exc))
        except ServerError as exc:
            self.health.report("server", str(exc))
        except SpoolWriteError as exc:
            self.health.report("spool", str(exc))
        except ValueError as exc:  # PhraseLibraryError: the current library stays in force
            self.health.report("phrases", f"school overlay from the server refused: {exc}")

    def _save_capture_time(self) -> None:
        self._capture_saved = time.monotonic()
        if self.last_capture_at:
            with suppress(SpoolWriteError):  # a status fact, reported by the spool's own writes
                self.spool.set_meta("last_capture_at", self.last_capture_at)
