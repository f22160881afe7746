"""Sending e-mail through CHOSO_SMTP_URL: smtp://host:25, smtp+starttls://user:password@host:587 or
smtps://user:password@host:465. Callers send from jobs, so a mail server that is down delays a notice and
never the change that caused it."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit


def smtp_send(url: str, message: EmailMessage, timeout: float = 10.0) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtp+starttls", "smtps"):
        raise ValueError(f"CHOSO_SMTP_URL must start with smtp://, smtp+starttls:// or smtps://, not {parts.scheme}://")
    host, port = parts.hostname or "localhost", parts.port
    client_class = smtplib.SMTP_SSL if parts.scheme == "smtps" else smtplib.SMTP
    with client_class(host, port or (465 if parts.scheme == "smtps" else 25), timeout=timeout) as client:
        if parts.scheme == "smtp+starttls":
            client.starttls()
        if parts.username:
            client.login(unquote(parts.username), unquote(parts.password or ""))
        client.send_message(message)
