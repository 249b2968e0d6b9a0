from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field, SecretStr, StringConstraints

from api.domain import Role
from api.schemas.common import Schema


def _email(value: str) -> str:
    value = value.strip().lower()
    local, _, domain = value.partition("@")
    if not local or "." not in domain or " " in value or len(value) > 254:
        raise ValueError("not an email address")
    return value


Email = Annotated[str, AfterValidator(_email)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class LoginRequest(BaseModel):
    email: Annotated[str, StringConstraints(strip_whitespace=True, to_lower=True,
                                            max_length=254)]
    password: SecretStr


class StaffPublic(Schema):
    id: str
    school_id: str
    school_name: str
    email: str
    name: str
    role: Role
    active: bool
    created_at: datetime
    last_login_at: datetime | None


class LoginResponse(BaseModel):
    staff: StaffPublic
    csrf_token: str = Field(description="Send back as X-CSRF-Token on state-changing requests "
                                        "authenticated by the session cookie.")
    expires_at: datetime


class StaffCreate(BaseModel):
    email: Email
    name: Name
    role: Role
    password: SecretStr | None = Field(
        default=None, description="Leave out to have the server generate one (shown once).")


class StaffCreated(BaseModel):
    staff: StaffPublic
    password: str | None = Field(description="The generated password, shown once; null when "
                                             "the request set one.")


class StaffUpdate(BaseModel):
    name: Name | None = None
    role: Role | None = None
    active: bool | None = None


class PasswordChange(BaseModel):
    current_password: SecretStr
    new_password: SecretStr


class PasswordReset(BaseModel):
    password: str = Field(description="The new generated password, shown once.")


class TokenCreate(BaseModel):
    name: Name
    expires_days: int | None = Field(default=90, ge=1, le=730)


class TokenPublic(Schema):
    id: str
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenCreated(TokenPublic):
    token: str = Field(description="Shown once; use as 'Authorization: Bearer <token>'.")
