"""Reading inbound email: threading headers, the new text of a reply, bounded parts."""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from switchboard.channels.domain import email as mail
from switchboard.kernel.errors import InvalidParameter


def _message(**headers: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = headers.pop("From", "Cleo Customer <Cleo@Example.com>")
    message["To"] = "support@acme.example"
    message["Subject"] = headers.pop("Subject", "Broken widget")
    message["Message-ID"] = headers.pop("Message_ID", "<c2@example.com>")
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    return message


def test_the_sender_thread_and_new_text_are_read() -> None:
    message = _message(
        In_Reply_To="<ours-1@acme.example>", References="<c1@example.com> <ours-1@acme.example>"
    )
    message.set_content(
        "Still broken, see photo.\n\nOn Tue, 1 Dec 2026 at 10:00, Acme wrote:\n> Try again\n"
    )
    parsed = mail.parse_email(message.as_bytes(), ["Support@Acme.example"])
    assert parsed.sender == "cleo@example.com"
    assert parsed.recipients == ("support@acme.example",)
    assert parsed.message_id == "<c2@example.com>"
    assert parsed.references == ("<ours-1@acme.example>", "<c1@example.com>")
    assert parsed.text == "Still broken, see photo."


def test_html_only_mail_becomes_text_without_scripts() -> None:
    message = _message()
    message.set_content(
        "<p>Hello &amp; thanks</p><script>alert(1)</script><div>Line two</div>", subtype="html"
    )
    parsed = mail.parse_email(message.as_bytes(), ["support@acme.example"])
    assert parsed.text == "Hello & thanks\nLine two"


def test_attachments_are_listed_and_oversized_ones_only_named() -> None:
    message = _message()
    message.set_content("See attached")
    message.add_attachment(
        b"\x89PNG" + b"0" * 100, maintype="image", subtype="png", filename="a.png"
    )
    big = b"\x00" * (mail.MAX_ATTACHMENT_BYTES + 1)
    message.add_attachment(big, maintype="application", subtype="octet-stream", filename="big.bin")
    parsed = mail.parse_email(message.as_bytes(), ["support@acme.example"])
    assert [(a.filename, a.content_type, a.kept) for a in parsed.attachments] == [
        ("a.png", "image/png", True),
        ("big.bin", "application/octet-stream", False),
    ]
    assert parsed.text == "See attached"


def test_long_bodies_are_cut() -> None:
    message = _message()
    message.set_content("x" * (mail.MAX_BODY_CHARS + 500))
    assert len(mail.parse_email(message.as_bytes(), ["s@acme.example"]).text) == mail.MAX_BODY_CHARS


@pytest.mark.parametrize(
    ("headers", "reason"),
    [({"Message_ID": ""}, "Message-ID"), ({"From": ""}, "From")],
)
def test_mail_without_an_id_or_a_sender_is_refused(headers: dict[str, str], reason: str) -> None:
    message = _message(**headers)
    message.set_content("hi")
    with pytest.raises(InvalidParameter, match=reason):
        mail.parse_email(message.as_bytes(), ["support@acme.example"])


def test_a_reply_subject_is_prefixed_once() -> None:
    assert mail.reply_subject("Broken widget") == "Re: Broken widget"
    assert mail.reply_subject("RE: Broken widget") == "RE: Broken widget"
