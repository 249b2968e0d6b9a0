from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, Field, StringConstraints

from api.schemas.common import Schema

ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]


class EnrolRequest(BaseModel):
    enrolment_key: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    hostname: ShortText
    agent_version: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                                    max_length=64)]


class EnrolResponse(BaseModel):
    device_id: str
    device_token: str = Field(description="Shown once; the server keeps only its hash.")
    school_id: str


class HeartbeatRequest(BaseModel):
    agent_version: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                                    max_length=64)]
    spool_depth: int = Field(ge=0)
    dropped_screenshots: int = Field(ge=0)
    last_capture_at: AwareDatetime | None = None
    last_error: Annotated[str, StringConstraints(max_length=4000)] | None = None


class HeartbeatResponse(BaseModel):
    server_time: datetime
    library_version: str
    overlay_version: str


class DevicePublic(Schema):
    id: str
    hostname: str
    agent_version: str
    enrolled_at: datetime
    revoked_at: datetime | None
    last_seen_at: datetime | None
    silent: bool = Field(description="No heartbeat or hit within the school's silent period.")
    spool_depth: int
    dropped_screenshots: int
    last_capture_at: datetime | None
    last_error: str | None


class EnrolmentKeyCreate(BaseModel):
    name: ShortText = Field(description="What the key is for, e.g. 'ICT suite rollout'.")


class EnrolmentKeyPublic(Schema):
    id: str
    name: str
    prefix: str
    created_at: datetime
    revoked_at: datetime | None
    uses: int


class EnrolmentKeyCreated(EnrolmentKeyPublic):
    key: str = Field(description="Shown once; the server keeps only its hash.")
