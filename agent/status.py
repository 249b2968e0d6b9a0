"""`safeguard-agent status`: what IT staff need to know about one laptop at a glance.

Read from the spool's own database, so it answers whether or not the agent is running and
never needs the device token.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from agent.credentials import NotEnrolledError, load_credentials
from agent.spool import Spool, spool_path


def collect_status(state_dir: Path, max_bytes: int) -> dict[str, Any]:
    status: dict[str, Any] = {"state_dir": str(state_dir)}
    try:
        creds = load_credentials(state_dir)
        status.update(enrolled=True, server_url=creds.server_url, device_id=creds.device_id,
                      school_id=creds.school_id)
    except NotEnrolledError as exc:
        status.update(enrolled=False, enrolment_problem=str(exc))
    if not spool_path(state_dir).exists():
        status.update(spool_depth=0, last_capture_at=None, last_upload_at=None, errors={})
        return status
    spool = Spool(spool_path(state_dir), max_bytes=max_bytes)
    try:
        stats = spool.stats()
        meta = spool.all_meta()
        status.update(
            spool_depth=stats.pending, spool_bytes=stats.size_bytes,
            spool_limit_bytes=max_bytes, screenshots_in_spool=stats.with_screenshot,
            dropped_screenshots=stats.dropped_screenshots, refused_by_server=stats.rejected,
            last_capture_at=meta.get("last_capture_at"), last_hit_at=meta.get("last_hit_at"),
            last_upload_at=meta.get("last_upload_at"),
            last_heartbeat_at=meta.get("last_heartbeat_at"),
            agent_started_at=meta.get("agent_started_at"),
            library_version=meta.get("library_version"),
            errors=meta.get("problems") or {},
            refused=[{"key": k, "reason": r} for k, r in spool.rejected()][:20])
    finally:
        spool.close()
    return status


def format_status(status: dict[str, Any]) -> str:
    def when(name: str) -> str:
        return status.get(name) or "never"

    lines = []
    if status.get("enrolled"):
        lines.append(f"enrolled:        device {status['device_id']} with {status['server_url']}")
    else:
        lines.append(f"enrolled:        no ({status.get('enrolment_problem')})")
    lines += [
        f"last capture:    {when('last_capture_at')}",
        f"last hit:        {when('last_hit_at')}",
        f"last upload:     {when('last_upload_at')}",
        f"last heartbeat:  {when('last_heartbeat_at')}",
        f"spool depth:     {status.get('spool_depth', 0)} hit(s) waiting"
        + (f", {status.get('spool_bytes', 0) / 1e6:.1f} of "
           f"{status.get('spool_limit_bytes', 0) / 1e6:.0f} MB" if "spool_bytes" in status
           else ""),
        f"dropped screenshots: {status.get('dropped_screenshots', 0)} (spool full policy)",
    ]
    if status.get("refused_by_server"):
        lines.append(f"refused by server: {status['refused_by_server']} hit(s) kept here")
        lines += [f"  {r['key']}: {r['reason']}" for r in status.get("refused", [])]
    errors = status.get("errors") or {}
    if errors:
        lines.append("errors:")
        lines += [f"  {part}: {p['message']} (since {p['since']})"
                  for part, p in sorted(errors.items())]
    else:
        lines.append("errors:          none")
    return "\n".join(lines)
