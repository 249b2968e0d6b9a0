"""`safeguard-train labelstudio push|pull|sync|config`: the Label Studio half of the loop.

    push    reviewed incidents (+ a sample of suppressed ones) -> tasks, most uncertain first
    pull    completed annotations -> <learning dir>/labelled.jsonl; disagreements reported
    sync    push every --every seconds; say (or, with --retrain, act) when a retrain is due
    config  print the labelling config generated from the taxonomy

Connections come from the environment: LABEL_STUDIO_URL, LABEL_STUDIO_API_KEY (a personal
access token), SAFEGUARD_SERVER_URL, SAFEGUARD_API_TOKEN (a DSL's staff API token);
SAFEGUARD_PSEUDONYM_SALT optionally (else a salt kept in the learning folder).

The parser is built for every `safeguard-train` command, so this module imports only what
the parser needs; each command imports the Label Studio SDK, the model runtime and the
pipeline when it runs.
"""
from __future__ import annotations

import argparse
import os
import sys
import threading
from pathlib import Path

from training.labelstudio import settings
from training.labelstudio.settings import DEFAULT_RETRAIN_AFTER, DEFAULT_SUPPRESSED_FRACTION

WEBHOOK_SECRET_ENV = "SAFEGUARD_WEBHOOK_SECRET"


def _paths(args: argparse.Namespace) -> settings.LearningPaths:
    return (settings.LearningPaths(args.learning_dir) if args.learning_dir
            else settings.LearningPaths.default())


def _push_once(args: argparse.Namespace):
    """A push, as a function of nothing: the sync loop calls it each round."""
    from classifier.judge import load_judge
    from training.labelstudio.incidents import ReviewServer
    from training.labelstudio.project import connect
    from training.labelstudio.pseudonym import Pseudonymiser
    from training.labelstudio.push import push

    paths = _paths(args)
    ls = connect(settings.label_studio(args.label_studio_url))
    judge = load_judge(args.model, threads=args.threads)
    names = Pseudonymiser(settings.pseudonym_salt(paths))

    def once():
        with ReviewServer(settings.review_server(args.server_url)) as server:
            return push(ls, server, judge, names, project_title=args.project,
                        suppressed_fraction=args.suppressed_fraction)
    return ls, once


def cmd_push(args: argparse.Namespace) -> int:
    _, once = _push_once(args)
    for line in once().lines():
        print(line)
    return 0


def _pull(args: argparse.Namespace) -> list[str]:
    from training.labelstudio.project import connect
    from training.labelstudio.pull import export, read_export, save

    paths = _paths(args)
    ls = connect(settings.label_studio(args.label_studio_url))
    result = read_export(export(ls, args.project))
    save(result, paths.labelled, paths.progress, paths.disagreements)
    return [*result.lines(), f"rows written to {paths.labelled}"]


def cmd_pull(args: argparse.Namespace) -> int:
    for line in _pull(args):
        print(line)
    return 0


def cmd_sync(args: argparse.Namespace) -> int:
    from training.labelstudio.sync import annotated_tasks, run_forever, sync_round

    paths = _paths(args)
    ls, once = _push_once(args)
    receiver = _start_webhook(args, ls, paths) if args.webhook_listen else None

    def round_():
        return sync_round(once, lambda: annotated_tasks(ls, args.project), paths.state,
                          retrain_after=args.retrain_after)

    def retrain() -> None:
        from training.config import load_config
        from training.labelstudio.sync import mark_retrained
        from training.loop import render
        from training.loop import retrain as retrain_model

        for line in _pull(args):
            print(line)
        outcome = retrain_model(load_config(args.config), paths=paths)
        mark_retrained(paths.state)
        print(render(outcome), end="", flush=True)

    try:
        run_forever(round_, args.every, retrain=retrain if args.retrain else None,
                    rounds=1 if args.once else None)
    except KeyboardInterrupt:
        pass
    finally:
        if receiver is not None:
            receiver.shutdown()
    return 0


def _start_webhook(args: argparse.Namespace, ls, paths: settings.LearningPaths):
    from training.labelstudio.project import find_project
    from training.labelstudio.webhook import WebhookReceiver, register

    secret = os.environ.get(WEBHOOK_SECRET_ENV)
    if not secret:
        raise settings.LoopSettingsError(f"set {WEBHOOK_SECRET_ENV} (16+ characters) to use "
                                         "the webhook receiver")
    host, _, port = args.webhook_listen.rpartition(":")
    receiver = WebhookReceiver((host or "127.0.0.1", int(port)), paths.state, secret,
                               args.retrain_after)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    project = find_project(ls, args.project)
    if project is not None:
        register(ls, project.id, args.webhook_url or receiver.url, secret)
    print(f"webhook receiver listening on {receiver.url}")
    return receiver


def cmd_config(_args: argparse.Namespace) -> int:
    from training.labelstudio.interface import labelling_config

    print(labelling_config(), end="")
    return 0


def _guarded(handler):
    def run(args: argparse.Namespace) -> int:
        from classifier.onnx_model import ModelArtefactError
        from training.labelstudio.incidents import ReviewServerError
        from training.labelstudio.project import LabelStudioError

        failures = (settings.LoopSettingsError, LabelStudioError, ReviewServerError,
                    ModelArtefactError, ValueError)
        try:
            return handler(args)
        except failures as exc:
            print(f"safeguard-train labelstudio: error: {exc}", file=sys.stderr)
            return 2
    return run


def add_subcommands(subparsers: argparse._SubParsersAction) -> None:
    """`safeguard-train labelstudio ...`; each sets `handler` on the parsed arguments."""
    parser = subparsers.add_parser("labelstudio", help="push to / pull from Label Studio",
                                   description=__doc__,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="labelstudio_command", required=True)
    push_ = commands.add_parser("push", help="reviewed incidents -> Label Studio tasks")
    pull = commands.add_parser("pull", help="completed annotations -> training rows")
    sync = commands.add_parser("sync", help="push on a schedule; mark (or run) retrains")
    config = commands.add_parser("config", help="print the generated labelling config")
    for command in (push_, pull, sync):
        command.add_argument("--project", default=settings.DEFAULT_PROJECT,
                             help=f"Label Studio project title (default: "
                                  f"{settings.DEFAULT_PROJECT!r})")
        command.add_argument("--label-studio-url", default=None,
                             help="default: $LABEL_STUDIO_URL or http://127.0.0.1:8080")
        command.add_argument("--learning-dir", type=Path, default=None,
                             help="default: $SAFEGUARD_LEARNING_DIR or var/learning")
    for command in (push_, sync):
        command.add_argument("--server-url", default=None,
                             help="review server (default: $SAFEGUARD_SERVER_URL or "
                                  "http://127.0.0.1:8000)")
        command.add_argument("--model", type=Path, default=None,
                             help="model that pre-annotates (default: the newest shipped)")
        command.add_argument("--threads", type=int, default=None)
        command.add_argument("--suppressed-fraction", type=float,
                             default=DEFAULT_SUPPRESSED_FRACTION,
                             help="share of suppressed incidents to label (default: "
                                  f"{DEFAULT_SUPPRESSED_FRACTION})")
    sync.add_argument("--every", type=float, default=3600.0, help="seconds between rounds")
    sync.add_argument("--once", action="store_true", help="one round, then exit (for cron)")
    sync.add_argument("--retrain-after", type=int, default=DEFAULT_RETRAIN_AFTER,
                      help="new annotations that make a retrain due")
    sync.add_argument("--retrain", action="store_true",
                      help="when a retrain is due, pull and retrain in this job")
    sync.add_argument("--config", type=Path, default=None, help="training config for --retrain")
    sync.add_argument("--webhook-listen", default=None, metavar="HOST:PORT",
                      help=f"also receive Label Studio webhooks here (needs "
                           f"${WEBHOOK_SECRET_ENV})")
    sync.add_argument("--webhook-url", default=None,
                      help="the receiver's URL as Label Studio reaches it (default: the "
                           "listen address)")
    push_.set_defaults(handler=_guarded(cmd_push))
    pull.set_defaults(handler=_guarded(cmd_pull))
    sync.set_defaults(handler=_guarded(cmd_sync))
    config.set_defaults(handler=_guarded(cmd_config))
