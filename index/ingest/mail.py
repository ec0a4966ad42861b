"""E-mail (.eml): Subject as title, Date as date, From as author, the body, and attachments of readable types
as parts of the same document ("attachment report.pdf, p. 2"), the others listed as skipped."""

from __future__ import annotations

import email
import email.policy
import email.utils
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from index.errors import LoaderError
from index.ingest.assembly import TextBuilder
from index.ingest.html import decode_html, extract_article
from index.models import Document

ParseAttachment = Callable[[bytes, str], Document]


def load_eml(data: bytes, doc_id: str, parse: ParseAttachment, readable: Callable[[str], bool]) -> Document:
    """An e-mail; `parse(data, name)` reads an attachment whose name `readable` accepts.

    One file stays one document (so a renamed or deleted mail takes its attachments with it); an
    attachment is cited by its name and its own page, slide or sheet."""
    try:
        message = email.message_from_bytes(data, policy=email.policy.default)
    except Exception as exc:  # the parser is lenient; this is a truly broken file
        raise LoaderError(f"unreadable e-mail ({exc})") from exc
    if not message.keys():
        raise LoaderError("unreadable e-mail (no headers)")
    builder = TextBuilder()
    body = message.get_body(preferencelist=("plain", "html"))
    if body is not None:
        content = _content(body)
        if body.get_content_type() == "text/html":
            builder.add("\n\n".join(extract_article(content).paragraphs))
        else:
            for paragraph in content.replace("\r\n", "\n").split("\n\n"):
                builder.add(paragraph)
    skipped: list[tuple[str, str]] = []
    for number, part in enumerate(message.iter_attachments(), start=1):
        name = Path(part.get_filename() or f"attachment-{number}").name
        if not readable(name):
            skipped.append((name, f"attachment of an unsupported type '{Path(name).suffix or name}'"))
            continue
        try:
            payload = part.get_payload(decode=True)
            if not isinstance(payload, bytes) or not payload.strip():
                raise LoaderError("empty attachment")
            builder.add_document(parse(payload, name), f"attachment {name}")
        except LoaderError as exc:
            skipped.append((name, str(exc)))
    meta = {
        "title": str(message.get("subject", "") or ""),
        "author": _sender(str(message.get("from", "") or "")),
        "date": _date(str(message.get("date", "") or "")),
    }
    if not builder.text:
        reasons = "; ".join(f"{name}: {why}" for name, why in skipped)
        raise LoaderError("e-mail with no text" + (f" ({reasons})" if reasons else ""))
    return replace(builder.document(doc_id, meta), skipped_parts=tuple(skipped))


def _content(part: email.message.MIMEPart) -> str:
    try:
        return str(part.get_content())
    except (LookupError, UnicodeError, ValueError):  # an unknown or wrong charset
        raw = part.get_payload(decode=True)
        return decode_html(raw) if isinstance(raw, bytes) else str(raw or "")


def _sender(value: str) -> str:
    name, address = email.utils.parseaddr(value)
    return name or address


def _date(value: str) -> str:
    try:
        return email.utils.parsedate_to_datetime(value).date().isoformat() if value else ""
    except (TypeError, ValueError):
        return ""
