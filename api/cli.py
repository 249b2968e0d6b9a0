"""`safeguard-server`: run the review server, migrate, create an admin, seed a demo school."""
from __future__ import annotations

import argparse
import getpass
import logging
import os
import sys
from collections.abc import Sequence

from api.settings import CONFIG_ENV, Settings, SettingsError, load_settings

log = logging.getLogger("safeguard.server")


class _NoQueryStrings(logging.Filter):
    """Access-log lines without query strings: those carry pupil names and search text."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and len(record.args) >= 3:
            args = list(record.args)
            args[2] = str(args[2]).split("?", 1)[0]
            record.args = tuple(args)
        return True


def _engine_migrated(settings: Settings):
    from api.db import make_engine
    from api.migrate import upgrade

    engine = make_engine(settings.resolved_database_url)
    upgrade(engine)
    return engine


def cmd_run(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    from api.app import create_app

    _engine_migrated(settings).dispose()
    logging.getLogger("uvicorn.access").addFilter(_NoQueryStrings())
    uvicorn.run(create_app(settings), host=args.host, port=args.port,
                access_log=args.access_log, proxy_headers=args.proxy_headers,
                forwarded_allow_ips=args.forwarded_allow_ips, log_level=args.log_level)
    return 0


def cmd_migrate(settings: Settings, _args: argparse.Namespace) -> int:
    from api.migrate import current_revision

    engine = _engine_migrated(settings)
    print(f"database at revision {current_revision(engine)}")
    engine.dispose()
    return 0


def cmd_create_admin(settings: Settings, args: argparse.Namespace) -> int:
    from api.accounts import AccountExists, create_staff, get_or_create_school
    from api.db import make_session_factory
    from api.domain import Role
    from api.security import WeakPasswordError, generate_password

    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
        generated = False
    elif sys.stdin.isatty() and not args.generate:
        password = getpass.getpass("Password for the new admin (blank: generate one): ")
        generated = not password
        password = password or generate_password()
    else:
        password, generated = generate_password(), True
    engine = _engine_migrated(settings)
    factory = make_session_factory(engine)
    try:
        with factory() as session:
            school = get_or_create_school(session, args.school)
            create_staff(session, school, args.email, args.name, Role(args.role), password)
            session.commit()
    except (AccountExists, WeakPasswordError) as exc:
        print(f"safeguard-server: {exc}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    print(f"created {args.role} {args.email} at {args.school}")
    if generated:
        print(f"password: {password}   (shown once; change it after signing in)")
    return 0


def cmd_demo(settings: Settings, args: argparse.Namespace) -> int:
    from api.blobs import BlobStore
    from api.db import make_session_factory
    from api.demo import SCHOOL, DemoAlreadySeeded, seed_demo
    from api.scoring import load_server_judge

    engine = _engine_migrated(settings)
    judge = load_server_judge(keywords_only=settings.keywords_only, model_dir=settings.model_dir,
                              threads=settings.judge_threads)
    try:
        seed = seed_demo(make_session_factory(engine), BlobStore(settings.resolved_blob_dir),
                         judge)
    except DemoAlreadySeeded as exc:
        print(f"safeguard-server: {exc}; use a fresh SAFEGUARD_DATA_DIR", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    print(f"Demo school: {SCHOOL}")
    for email, password in seed.passwords.items():
        print(f"  {email:32} password: {password}")
    print(f"Enrolment key (for safeguard-agent): {seed.enrolment_key}")
    print(f"Demo incidents: {seed.incidents} ({seed.suppressed} suppressed by the model) "
          f"in {', '.join(seed.categories) or 'no categories'}; library {seed.library_version}, "
          f"model {seed.model_version}")
    if args.run:
        return cmd_run(settings, args)
    print(f"Start the server: SAFEGUARD_MODE={settings.mode} "
          f"SAFEGUARD_DATA_DIR={settings.data_dir} safeguard-server run")
    return 0


def _add_serve_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--log-level", default="info")
    parser.add_argument("--access-log", action="store_true",
                        help="log requests (paths only, never query strings)")
    parser.add_argument("--proxy-headers", action="store_true",
                        help="trust X-Forwarded-For from --forwarded-allow-ips (behind a proxy)")
    parser.add_argument("--forwarded-allow-ips", default="127.0.0.1")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="safeguard-server", description=__doc__)
    parser.add_argument("--config", help=f"TOML settings file (or {CONFIG_ENV}); environment "
                                         "variables SAFEGUARD_* override it")
    commands = parser.add_subparsers(dest="command")
    run = commands.add_parser("run", help="apply migrations, then serve (the default)")
    _add_serve_options(run)
    commands.add_parser("migrate", help="apply database migrations and exit")
    admin = commands.add_parser("create-admin", help="create a school's admin account")
    admin.add_argument("--school", required=True, help="school name (created if new)")
    admin.add_argument("--email", required=True)
    admin.add_argument("--name", required=True)
    admin.add_argument("--role", default="admin", choices=["admin", "dsl", "reviewer"])
    admin.add_argument("--password-stdin", action="store_true",
                       help="read the password from the first line of stdin")
    admin.add_argument("--generate", action="store_true", help="generate and print a password")
    demo = commands.add_parser("demo", help="seed the demo school Northfield Academy "
                                            "(runs in demo mode)")
    demo.add_argument("--run", action="store_true", help="serve after seeding")
    _add_serve_options(demo)
    return parser


COMMANDS = {"run": cmd_run, "migrate": cmd_migrate, "create-admin": cmd_create_admin,
            "demo": cmd_demo}


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or (argv[0].startswith("-") and argv[0] not in ("-h", "--help", "--config")):
        argv = ["run", *argv]
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        args = parser.parse_args([*argv, "run"])
    if args.config:
        os.environ[CONFIG_ENV] = args.config
    logging.basicConfig(level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    # Seeding a demo is an explicit request for demo mode (it prints passwords by design).
    demo_mode = args.command == "demo" and "SAFEGUARD_MODE" not in os.environ
    overrides = {"mode": "demo"} if demo_mode else {}
    try:
        settings = load_settings(**overrides)
    except SettingsError as exc:
        print(f"safeguard-server: {exc}", file=sys.stderr)
        return 2
    return COMMANDS[args.command](settings, args)


if __name__ == "__main__":
    sys.exit(main())
