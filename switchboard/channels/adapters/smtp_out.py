"""The email provider speaking SMTP to a relay (the standard library's client, in a
thread so the event loop never blocks on the network)."""

from __future__ import annotations

import asyncio
import smtplib
from email.message import EmailMessage

from switchboard.channels.domain.email import OutboundEmail
from switchboard.channels.ports import ProviderError


def compose(message: OutboundEmail) -> EmailMessage:
    """A plain-text reply with the threading headers mail clients group by."""
    mail = EmailMessage()
    mail["From"] = message.sender
    mail["To"] = message.recipient
    mail["Subject"] = message.subject
    mail["Message-ID"] = message.message_id
    if message.in_reply_to is not None:
        mail["In-Reply-To"] = message.in_reply_to
    if message.references:
        mail["References"] = " ".join(message.references)
    mail.set_content(message.body)
    return mail


class SmtpRelay:
    """:class:`~switchboard.channels.ports.EmailProvider` over one SMTP relay."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        timeout: float = 30.0,
        username: str | None = None,
        password: str | None = None,
        starttls: bool = False,
    ) -> None:
        self.host, self.port, self.timeout = host, port, timeout
        self.username, self.password, self.starttls = username, password, starttls

    def _send(self, mail: EmailMessage) -> None:
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as client:
            if self.starttls:
                client.starttls()
            if self.username is not None and self.password is not None:
                client.login(self.username, self.password)
            client.send_message(mail)

    async def send(self, message: OutboundEmail) -> str:
        try:
            await asyncio.to_thread(self._send, compose(message))
        except smtplib.SMTPResponseException as exc:
            # 4xx is temporary (greylisting, a full queue); 5xx is final
            retry = 400 <= exc.smtp_code < 500
            raise ProviderError(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}", retry=retry) from None
        except smtplib.SMTPRecipientsRefused as exc:
            raise ProviderError(f"recipient refused: {exc.recipients}", retry=False) from None
        except (OSError, smtplib.SMTPException) as exc:
            raise ProviderError(f"{type(exc).__name__}: {exc}", retry=True) from None
        return message.message_id
