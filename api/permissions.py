"""Who may do what: the one table every route consults.

`admin` is deliberately not a super-user: IT staff manage accounts, devices and the phrase
overlay but do not read evidence about children unless they also hold a safeguarding account.
"""
from __future__ import annotations

from enum import StrEnum

from api.domain import Role


class Permission(StrEnum):
    READ_INCIDENTS = "read_incidents"
    REVIEW_INCIDENTS = "review_incidents"
    READ_PUPILS = "read_pupils"
    EXPORT = "export"
    READ_AUDIT = "read_audit"
    MANAGE_SCHOOL = "manage_school"
    MANAGE_ALERTS = "manage_alerts"
    RUN_RETENTION = "run_retention"
    READ_DEVICES = "read_devices"
    MANAGE_DEVICES = "manage_devices"
    MANAGE_STAFF = "manage_staff"
    MANAGE_OVERLAY = "manage_overlay"


GRANTS: dict[Role, frozenset[Permission]] = {
    Role.REVIEWER: frozenset({Permission.READ_INCIDENTS, Permission.REVIEW_INCIDENTS}),
    Role.DSL: frozenset({Permission.READ_INCIDENTS, Permission.REVIEW_INCIDENTS,
                         Permission.READ_PUPILS, Permission.EXPORT, Permission.READ_AUDIT,
                         Permission.MANAGE_SCHOOL, Permission.MANAGE_ALERTS,
                         Permission.RUN_RETENTION, Permission.READ_DEVICES}),
    Role.ADMIN: frozenset({Permission.READ_DEVICES, Permission.MANAGE_DEVICES,
                           Permission.MANAGE_STAFF, Permission.MANAGE_OVERLAY}),
}


def allows(role: Role | str, permission: Permission) -> bool:
    return permission in GRANTS.get(Role(role), frozenset())


def roles_with(permission: Permission) -> list[Role]:
    return [role for role, granted in GRANTS.items() if permission in granted]
