"""`safeguard-agent`: enrol this device, run the agent, or show its status.

    safeguard-agent enrol --server URL --key KEY   store this device's token (mode 0600)
    safeguard-agent run [--feed FILE|demo]          watch, capture, spool, upload
    safeguard-agent status [--json]                 last capture, spool, uploads, errors

Every command takes `--config PATH` (default: $SAFEGUARD_AGENT_CONFIG or
~/.config/safeguard-agent/agent.toml). Exit status 2 means a problem a person must fix (a
bad config, not enrolled, key refused); the message says which.
"""
from __future__ import annotations

import argparse
import json
import logging
import signal
import sqlite3
import sys
import threading
from collections.abc import Sequence
from dataclasses import replace

from agent import __version__
from agent.client import DeviceNotAuthorised, ServerClient, ServerError
from agent.config import AgentConfig, ConfigError, load_config
from agent.credentials import (
    DeviceCredentials,
    NotEnrolledError,
    load_credentials,
    save_credentials,
)

log = logging.getLogger("agent")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="safeguard-agent", description=__doc__.split("\n")[0])
    parser.add_argument("--version", action="version", version=f"safeguard-agent {__version__}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", help="agent.toml to use")
    sub = parser.add_subparsers(dest="command", required=True)
    enrol = sub.add_parser("enrol", parents=[common], help="enrol this device with a server")
    enrol.add_argument("--server", required=True, help="the review server's URL")
    enrol.add_argument("--key", required=True, help="the school's enrolment key")
    enrol.add_argument("--hostname", help="name to show for this device (default: hostname)")
    run = sub.add_parser("run", parents=[common], help="run the agent until stopped")
    run.add_argument("--feed", action="append", default=[], metavar="FILE",
                     help="also read this JSON-lines file (repeatable); --feed demo replays "
                          "the bundled demo feed")
    status = sub.add_parser("status", parents=[common], help="show the agent's state")
    status.add_argument("--json", action="store_true", help="machine-readable output")
    return parser


def _setup_logging(config: AgentConfig) -> None:
    logging.basicConfig(level=config.agent.log_level, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # its lines carry full URLs


def cmd_enrol(args: argparse.Namespace, config: AgentConfig) -> int:
    url = args.server.rstrip("/")
    if not url.startswith(("http://", "https://")):
        print(f"error: --server must be an http:// or https:// URL, got {url!r}",
              file=sys.stderr)
        return 2
    try:
        with ServerClient(url, timeout=config.server.timeout_seconds,
                          ca_file=config.server.ca_file) as client:
            enrolment = client.enrol(args.key, args.hostname)
    except DeviceNotAuthorised:
        print(f"error: {url} refused the enrolment key (wrong or revoked)", file=sys.stderr)
        return 2
    except ServerError as exc:
        print(f"error: enrolment failed: {exc}", file=sys.stderr)
        return 1
    path = save_credentials(config.state_dir, DeviceCredentials(
        url, enrolment.device_id, enrolment.device_token, enrolment.school_id))
    print(f"enrolled as device {enrolment.device_id} of school {enrolment.school_id}; "
          f"token stored in {path} (mode 0600)")
    return 0


def with_feeds(config: AgentConfig, files: list[str]) -> AgentConfig:
    from agent.demo import FEED

    paths = [str(FEED) if f == "demo" else f for f in files]
    return replace(config, feed=replace(config.feed, files=[*config.feed.files, *paths]))


def cmd_run(config: AgentConfig) -> int:
    from agent.runner import Agent  # the capture stack is only needed here
    from agent.spool import SpoolWriteError
    from classifier.phrases import PhraseLibraryError

    try:
        creds = load_credentials(config.state_dir)
    except NotEnrolledError as exc:
        log.error("%s", exc)
        return 2
    stopping = threading.Event()

    def stop(signum: int, _frame: object) -> None:
        log.info("stopping (signal %d)", signum)
        stopping.set()
        if agent is not None:
            agent.stop.set()

    agent = None
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    reported = False
    while agent is None and not stopping.is_set():
        try:
            agent = Agent(config, creds)
        except PhraseLibraryError as exc:
            log.error("cannot load the phrase library: %s", exc)
            return 2
        except (SpoolWriteError, sqlite3.Error, OSError) as exc:
            if not reported:  # a full or read-only disk: say so once, try again each minute
                log.error("cannot open the spool in %s (%s); retrying every 60 s",
                          config.state_dir, exc)
                reported = True
            stopping.wait(60)
    if agent is not None:
        agent.run()
    return 0


def cmd_status(args: argparse.Namespace, config: AgentConfig) -> int:
    from agent.status import collect_status, format_status

    status = collect_status(config.state_dir, int(config.spool.max_megabytes * 1_000_000))
    print(json.dumps(status, indent=2) if args.json else format_status(status))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        config = load_config(args.config, required=args.config is not None)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    _setup_logging(config)
    if args.command == "enrol":
        return cmd_enrol(args, config)
    if args.command == "run":
        if args.feed:
            config = with_feeds(config, args.feed)
        return cmd_run(config)
    return cmd_status(args, config)


if __name__ == "__main__":
    sys.exit(main())
