"""The table models. Request and response shapes live in `api.schemas`, never here."""
from api.db import Base
from api.models.alert import AlertRule
from api.models.audit import AuditEvent
from api.models.device import Device
from api.models.incident import Incident, Review
from api.models.school import EnrolmentKey, School
from api.models.staff import ApiToken, Staff, StaffSession

__all__ = ["AlertRule", "ApiToken", "AuditEvent", "Base", "Device", "EnrolmentKey", "Incident",
           "Review", "School", "Staff", "StaffSession"]
