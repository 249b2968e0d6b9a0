"""Email out through the school's SMTP relay (stdlib smtplib: the library made for the job)."""
from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage

from api.settings import Settings

log = logging.getLogger(__name__)


class MailError(RuntimeError):
    """The message was not accepted by the relay; the caller keeps it due and retries."""


class Mailer:
    def __init__(self, settings: Settings) -> None:
        self.host = settings.smtp_host
        self.port = settings.smtp_port
        self.sender = settings.smtp_from
        self.username = settings.smtp_username
        self._password = settings.smtp_password
        self.starttls = settings.smtp_starttls
        self.timeout = settings.smtp_timeout_s

    @property
    def configured(self) -> bool:
        return bool(self.host)

    def send(self, recipients: list[str], subject: str, body: str) -> None:
        if not self.host:
            raise MailError("SMTP is not configured (SAFEGUARD_SMTP_HOST)")
        if not recipients:
            raise MailError("no recipients")
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = ", ".join(recipients)
        message["Subject"] = subject
        message.set_content(body)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls()
                if self.username and self._password is not None:
                    smtp.login(self.username, self._password.get_secret_value())
                smtp.send_message(message)
        except (OSError, smtplib.SMTPException) as exc:
            # The reason, never the credentials or the message body.
            raise MailError(f"SMTP relay {self.host}:{self.port} refused: {type(exc).__name__}") from None
