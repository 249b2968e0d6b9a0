"""Review-server load: hits ingested per second and queue latency at 100,000 incidents.

Runs the real `safeguard-server` (uvicorn on 127.0.0.1, migrations applied at start) once per
database, side by side: the embedded default (SQLite, WAL) and PostgreSQL. For each:
1. ingest: enrolled devices post hits concurrently over HTTP, each with its own PNG screenshot
   (decoded, verified, stored), then the same without screenshots, to show what evidence costs;
2. queue: the database is filled to N incidents (default 100,000; rows written directly, in
   the server's own schema, because ingesting them over HTTP would only re-measure step 1),
   then staff requests are timed: the default queue, paging deep with the cursor, a filter,
   free-text search (common words, and a word found nowhere: a full scan), an incident's
   detail and a pupil's timeline.
The last line printed is a JSON summary. `--quick` runs in under a minute (fewer hits,
10,000 incidents).
"""
from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx
from PIL import Image, ImageDraw
from sqlalchemy import create_engine, insert, text

from api.models import Incident
from api.risk import risk
from classifier.records import idempotency_key
from classifier.taxonomy import CATEGORY_IDS

POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
ADMIN = ("bench@northfield.example", "bench-admin-passphrase")
WORDS = ["honestly", "nobody", "would", "notice", "if", "i", "was", "gone", "tonight", "after", "school", "the", "group", "chat", "said", "everyone", "hates", "you", "and", "we", "should", "meet", "at", "the", "park", "with", "a", "knife", "lol", "maths", "homework", "revision", "essay", "game", "match", "friends", "mum", "teacher"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def screenshot(rng: random.Random, serial: int) -> bytes:
    """A 1280x720 window of text, unique per hit (so nothing is deduplicated)."""
    image = Image.new("RGB", (1280, 720), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 1280, 30), fill=(40, 60, 90))
    draw.text((10, 8), f"Discord - #year9 ({serial})", fill="white")
    for row in range(24):
        draw.text((20, 50 + 26 * row), " ".join(rng.choices(WORDS, k=14)), fill="black")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=False)
    return buffer.getvalue()


def make_hit(rng: random.Random, device: str, serial: int) -> dict:
    before = " ".join(rng.choices(WORDS, k=rng.randint(5, 15)))
    phrase, category = rng.choice([("want to die", "suicide"), ("hates you", "bullying"),
                                   ("knife", "violence"), ("don't tell your mum",
                                                           "sexual_exploitation")])
    context = f"{before} {phrase} {' '.join(rng.choices(WORDS, k=8))} #{serial}"
    start = len(before) + 1
    observed = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    return {"key": idempotency_key(device, "screen", "Chat", phrase, context, observed),
            "device_id": device, "user": f"NFA\\pupil{rng.randint(1, 900)}",
            "observed_at": observed, "source": "screen", "phrase": phrase,
            "category": category, "severity": rng.randint(2, 5), "start": start,
            "end": start + len(phrase), "context": context, "window_title": "Discord",
            "application": "Discord", "library_version": "bench", "boxes": []}


@contextmanager
def running_server(database_url: str, data_dir: Path, keywords_only: bool) -> Iterator[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAFEGUARD_")} | {
        "SAFEGUARD_MODE": "dev", "SAFEGUARD_DATA_DIR": str(data_dir),
        "SAFEGUARD_DATABASE_URL": database_url, "SAFEGUARD_JOBS_ENABLED": "0"}
    if keywords_only:
        env["SAFEGUARD_KEYWORDS_ONLY"] = "1"
    command = [sys.executable, "-m", "api.cli"]
    subprocess.run([*command, "create-admin", "--school", "Northfield Academy", "--email",
                    ADMIN[0], "--name", "Bench", "--password-stdin"], input=ADMIN[1],
                   env=env, check=True, capture_output=True, text=True)
    port = free_port()
    process = subprocess.Popen([*command, "run", "--port", str(port), "--log-level", "warning"],
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"server did not start: {process.stderr.read()[-2000:]}")
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def staff_client(url: str) -> httpx.Client:
    client = httpx.Client(base_url=url, timeout=60)
    r = client.post("/api/v1/auth/login", json={"email": ADMIN[0], "password": ADMIN[1]})
    r.raise_for_status()
    client.headers["X-CSRF-Token"] = r.json()["csrf_token"]
    return client


def enrol(url: str, admin: httpx.Client, devices: int) -> list[tuple[str, str]]:
    key = admin.post("/api/v1/enrolment-keys", json={"name": "bench"}).json()["key"]
    out = []
    for i in range(devices):
        r = httpx.post(f"{url}/api/v1/devices/enrol", json={
            "enrolment_key": key, "hostname": f"NFA-{i:03}", "agent_version": "bench"})
        r.raise_for_status()
        out.append((r.json()["device_id"], r.json()["device_token"]))
    return out


async def ingest(url: str, devices: list[tuple[str, str]], hits: int, with_screenshots: bool,
                 concurrency: int, rng: random.Random) -> dict:
    payloads = []
    for i in range(hits):
        device_id, token = devices[i % len(devices)]
        shot = screenshot(rng, i) if with_screenshots else None
        payloads.append((token, json.dumps(make_hit(rng, device_id, i)), shot))
    latencies: list[float] = []
    failures = 0
    queue: asyncio.Queue = asyncio.Queue()
    for p in payloads:
        queue.put_nowait(p)

    async def agent(client: httpx.AsyncClient) -> None:
        nonlocal failures
        while not queue.empty():
            token, hit, shot = queue.get_nowait()
            files = {"screenshot": ("s.png", shot, "image/png")} if shot else None
            started = time.perf_counter()
            r = await client.post("/api/v1/hits", data={"hit": hit}, files=files,
                                  headers={"Authorization": f"Bearer {token}"})
            latencies.append(time.perf_counter() - started)
            failures += r.status_code != 201

    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as client:
        started = time.perf_counter()
        await asyncio.gather(*(agent(client) for _ in range(concurrency)))
        seconds = time.perf_counter() - started
    mean_kb = (statistics.mean(len(p[2]) for p in payloads) / 1024) if with_screenshots else 0
    return {"hits_s": hits / seconds, "p50_ms": percentile(latencies, 50) * 1000,
            "p95_ms": percentile(latencies, 95) * 1000, "failures": failures,
            "screenshot_kb": mean_kb}


def fill(database_url: str, school_id: str, devices: list[str], total: int,
         rng: random.Random) -> float:
    """Top the incidents table up to `total` rows, spread over 15 months, in the live schema."""
    engine = create_engine(database_url)
    now = datetime.now(UTC)
    started = time.perf_counter()
    with engine.begin() as connection:
        have = connection.execute(text("SELECT count(*) FROM incidents")).scalar()
        rows = []
        for i in range(total - have):
            observed = now - timedelta(minutes=rng.uniform(0, 60 * 24 * 456))
            severity, p = rng.randint(1, 5), rng.random()
            category = rng.choice(CATEGORY_IDS)
            status = rng.choices(["new", "reviewed", "suppressed"], weights=[3, 5, 2])[0]
            scored = risk(p, severity, observed)
            context = " ".join(rng.choices(WORDS, k=24))
            rows.append({
                "id": str(uuid.uuid4()), "school_id": school_id,
                "device_id": rng.choice(devices), "hit_key": uuid.uuid4().hex,
                "pupil": f"NFA\\pupil{rng.randint(1, 900)}", "observed_at": observed,
                "received_at": observed, "source": "screen", "application": "Chrome",
                "window_title": "Search", "phrase": "knife", "phrase_category": category,
                "severity": severity, "start": 0, "end": 5, "context": context, "boxes": [],
                "library_version": "bench", "model_version": "bench", "model_category": None,
                "model_alert": status != "suppressed", "probability": p,
                "scores": {category: p}, "risk_base": scored.base, "rank_key": scored.rank_key,
                "category": category, "status": status,
                "decision": "concern" if status == "reviewed" else None, "alert_due": False})
            if len(rows) == 5000:
                connection.execute(insert(Incident), rows)
                rows = []
        if rows:
            connection.execute(insert(Incident), rows)
    engine.dispose()
    return time.perf_counter() - started


def time_queue(url: str, token: str, rounds: int) -> dict:
    client = httpx.Client(base_url=url, timeout=60,
                          headers={"Authorization": f"Bearer {token}"})
    cursor = None
    timings: dict[str, list[float]] = {k: [] for k in (
        "queue", "page_deep", "filtered", "free_text", "free_text_rare", "detail", "timeline")}

    def timed(name: str, path: str, **params) -> dict:
        started = time.perf_counter()
        r = client.get(path, params=params)
        timings[name].append(time.perf_counter() - started)
        r.raise_for_status()
        return r.json()

    first = timed("queue", "/api/v1/incidents")
    ids = [i["id"] for i in first["items"]]
    for i in range(rounds):
        timed("queue", "/api/v1/incidents")
        page = timed("page_deep", "/api/v1/incidents", **({"cursor": cursor} if cursor else {}))
        cursor = page["next_cursor"]
        timed("filtered", "/api/v1/incidents", category=CATEGORY_IDS[i % len(CATEGORY_IDS)],
              min_severity=4)
        timed("free_text", "/api/v1/incidents", q=WORDS[i % len(WORDS)] + " " +
              WORDS[(i + 1) % len(WORDS)])
        # A word no incident contains: the whole school's queue is scanned (the worst case).
        timed("free_text_rare", "/api/v1/incidents", q=f"zqx{i}")
        timed("detail", f"/api/v1/incidents/{ids[i % len(ids)]}")
        timed("timeline", "/api/v1/pupils/timeline", pupil=f"NFA\\pupil{i % 900 + 1}")
    return {name: {"p50_ms": percentile(v, 50) * 1000, "p95_ms": percentile(v, 95) * 1000}
            for name, v in timings.items()}


def run_backend(name: str, args, rng: random.Random) -> dict:
    with tempfile.TemporaryDirectory(prefix=f"bench-{name}-") as tmp:
        data_dir = Path(tmp)
        if name == "sqlite":
            url = f"sqlite:///{data_dir / 'safeguard.db'}"
            schema = None
        else:
            schema = f"bench_{uuid.uuid4().hex[:8]}"
            admin_engine = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
            with admin_engine.connect() as c:
                c.execute(text(f"CREATE SCHEMA {schema}"))
            url = f"{POSTGRES}?options=-csearch_path%3D{schema}"
        try:
            with running_server(url, data_dir, args.keywords_only) as server:
                admin = staff_client(server)
                devices = enrol(server, admin, args.devices)
                model = httpx.get(f"{server}/healthz").json()["model_version"]
                shots = asyncio.run(ingest(server, devices, args.hits, True, args.concurrency,
                                           rng))
                plain = asyncio.run(ingest(server, devices, args.hits, False,
                                           args.concurrency, rng))
                school = admin.get("/api/v1/school").json()["id"]
                fill_s = fill(url, school, [d for d, _ in devices], args.incidents, rng)
                dsl = admin.post("/api/v1/staff", json={
                    "email": "dsl@bench.example", "name": "DSL", "role": "dsl"}).json()
                login = httpx.Client(base_url=server, timeout=60)
                r = login.post("/api/v1/auth/login", json={"email": "dsl@bench.example",
                                                           "password": dsl["password"]})
                token = login.post("/api/v1/auth/tokens", json={"name": "bench"}, headers={
                    "X-CSRF-Token": r.json()["csrf_token"]}).json()["token"]
                queue = time_queue(server, token, args.rounds)
        finally:
            if schema:
                with admin_engine.connect() as c:
                    c.execute(text(f"DROP SCHEMA {schema} CASCADE"))
                admin_engine.dispose()
    return {"model": model, "ingest_screenshots": shots, "ingest_text_only": plain,
            "fill_s": fill_s, "queue": queue}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="under a minute: smaller run")
    parser.add_argument("--hits", type=int, default=2000)
    parser.add_argument("--incidents", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=100)
    parser.add_argument("--devices", type=int, default=16)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--model", action="store_true",
                        help="score with the newest shipped model (default: keywords only, "
                             "so the numbers are the server's, not the model's)")
    args = parser.parse_args()
    args.keywords_only = not args.model
    if args.quick:
        args.hits, args.incidents, args.rounds, args.devices = 60, 3_000, 10, 8
    rng = random.Random(7)
    backends = args.backends.split(",")
    results = {name: run_backend(name, args, rng) for name in backends}

    rows = [("ingest with screenshots, hits/s", lambda r: r["ingest_screenshots"]["hits_s"]),
            ("  p95 per hit, ms", lambda r: r["ingest_screenshots"]["p95_ms"]),
            ("ingest text only, hits/s", lambda r: r["ingest_text_only"]["hits_s"]),
            *[(f"{q} p95, ms", lambda r, q=q: r["queue"][q]["p95_ms"])
              for q in ("queue", "page_deep", "filtered", "free_text", "free_text_rare", "detail",
                        "timeline")]]
    print(f"{args.incidents:,} incidents, {args.hits} hits x {args.concurrency} agents, "
          f"screenshots ~{results[backends[0]]['ingest_screenshots']['screenshot_kb']:.0f} KB, "
          f"model {results[backends[0]]['model']}")
    header = "".join(f"{b:>14}" for b in backends)
    ratio = len(backends) == 2
    print(f"{'measure':<34}{header}{'  ratio':>10}" if ratio else f"{'measure':<34}{header}")
    for label, get in rows:
        values = [get(results[b]) for b in backends]
        line = f"{label:<34}" + "".join(f"{v:>14.1f}" for v in values)
        if ratio:
            line += f"{values[1] / values[0]:>10.2f}"
        print(line)
    for b in backends:
        r = results[b]
        print(f"{b}: screenshots cost {r['ingest_text_only']['hits_s'] / r['ingest_screenshots']['hits_s']:.2f}x "
              f"per hit; failures {r['ingest_screenshots']['failures'] + r['ingest_text_only']['failures']}")
    summary = {"incidents": args.incidents, "hits": args.hits, "concurrency": args.concurrency,
               "model": results[backends[0]]["model"]}
    for b in backends:
        r = results[b]
        summary[b] = {
            "hits_s_screenshots": round(r["ingest_screenshots"]["hits_s"], 1),
            "hit_p95_ms": round(r["ingest_screenshots"]["p95_ms"], 1),
            "hits_s_text_only": round(r["ingest_text_only"]["hits_s"], 1),
            "failures": r["ingest_screenshots"]["failures"] + r["ingest_text_only"]["failures"],
            **{f"{q}_p95_ms": round(v["p95_ms"], 1) for q, v in r["queue"].items()}}
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
