"""E-mail: an IMAP mailbox in (gateway/mailbox.py polls it into the inbox), SMTP out.

What the inbox stores for one mail (`inbox_entry`, JSON in the encrypted payload column):
    {"uid": 42, "uidvalidity": 1700000000, "size": 18234, "truncated": false, "mail": "<base64 of the raw mail>"}
keyed by the mail's Message-ID (a SHA-256 of the raw bytes when it has none or an unusable one).
The row stays bounded: the poller fetches at most `mail_cap(max_attachment_bytes)` bytes of a mail
(one photo at the limit, base64-encoded, plus room for text); a longer mail is stored cut at that
size with `truncated`, and the part that was cut is refused with a clear reply (the worker's
"photo_rejected"), so nothing huge is stored. A photo under the cap but over the limit is refused by
the attachment store the same way.

`parse` reads the stored mail with `email` (policy.default: decoded headers, `get_body`): the plain
body, or the HTML one turned into text; quoted replies and signatures cut off; photos handed to the
worker as `Media` carrying their bytes (data: URLs), so `fetch_media` needs no network (every image
part counts, inline ones too: a logo in a signature becomes a photo of the report). Malformed
MIME never raises: what can be read is used, a mail without a usable sender is skipped (log lines
carry the IMAP uid only).

Mail loops: automatic mail is stored (the cursor and the audit trail stay simple) but never
answered: Auto-Submitted other than "no", Precedence bulk/junk/list, X-Autoreply/X-Autorespond,
List-Id/List-Unsubscribe, a null Return-Path, MAILER-DAEMON/postmaster senders, delivery and
feedback reports (multipart/report), and our own address. Our replies carry Auto-Submitted and
X-Auto-Response-Suppress so other robots leave them alone.

Threading: a mail's Message-ID and References go into `reply_context` (no subject, no addresses);
replies carry In-Reply-To and References from it. A reply naming a ticket has "[JKT-…]" in its
subject and a signed Reply-To, `lapor+JKT-2611-00042.<hmac>@domain` (HMAC from the store's keyed
hash); mail that comes back to such an address is `about_ticket` that ticket. A ticket in the
subject alone proves nothing and is ignored for that.

SMTP errors: unreachable servers, timeouts and 4xx replies are retried; a 5xx is permanent. Only a
5.1.x refusal of the recipient (no such mailbox, bad domain: RFC 3463) stops the contact; other 5xx
(policy, spam, message too big) fail that message alone.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import re
import smtplib
import ssl
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage, Message
from email.parser import BytesHeaderParser
from email.utils import format_datetime, getaddresses, make_msgid
from html.parser import HTMLParser
from typing import Any

from bots.base import Capabilities, Incoming, Media, Outgoing, PermanentError, RetryableError, SendError
from store import crypto
from store.types import utcnow

CHANNEL = "email"
SUBJECT = "Lapor Jakarta"
TICKET_SUBJECT = "[{ticket}] Lapor Jakarta"
TICKET = re.compile(r"\b([A-Z]{2,6}-\d{4}-\d{5,})\b", re.IGNORECASE)  # as gateway.conversation.TICKET
MESSAGE_ID = re.compile(r"^<[^<>\s]{1,250}>$")
MAX_KEY = 128  # inbound_messages.provider_message_id
MAX_REFERENCES = 20
SIGNATURE_CHARS = 16
log = logging.getLogger(__name__)


def mail_cap(max_attachment_bytes: int) -> int:
    """The most the poller fetches of one mail: a photo at the limit, base64-encoded, plus 1 MiB."""
    return max_attachment_bytes * 4 // 3 + 1_048_576


@dataclass(frozen=True)
class ImapSettings:
    host: str
    port: int = 993
    user: str = ""
    password: str = ""
    folder: str = "INBOX"
    tls: bool = True


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int = 587
    user: str = ""
    password: str = ""
    starttls: bool = True
    timeout: float = 30


def _on(value: str | None, default: bool = True) -> bool:
    if value is None or not value.strip():
        return default
    return value.strip().lower() not in ("0", "false", "no", "off")


def settings_from(environ: dict[str, str]) -> tuple[str, ImapSettings, SmtpSettings]:
    """EMAIL_FROM, IMAP_* and SMTP_* from the environment (TLS and STARTTLS on unless turned off)."""
    tls = _on(environ.get("IMAP_TLS"))
    imap = ImapSettings(
        host=environ["IMAP_HOST"].strip(), port=int(environ.get("IMAP_PORT") or (993 if tls else 143)),
        user=environ.get("IMAP_USER", ""), password=environ.get("IMAP_PASSWORD", ""),
        folder=environ.get("IMAP_FOLDER") or "INBOX", tls=tls,
    )
    smtp = SmtpSettings(
        host=(environ.get("SMTP_HOST") or "").strip(), port=int(environ.get("SMTP_PORT") or 587),
        user=environ.get("SMTP_USER", ""), password=environ.get("SMTP_PASSWORD", ""),
        starttls=_on(environ.get("SMTP_STARTTLS")),
    )
    return environ["EMAIL_FROM"].strip().lower(), imap, smtp


# -- what the poller stores ---------------------------------------------------------------------


def inbox_entry(raw: bytes, uid: int, uidvalidity: int, size: int, truncated: bool) -> tuple[str, str | None, dict]:
    """The inbox key, the sender's address (None when unreadable) and the payload for one fetched mail."""
    headers = _headers_only(raw)
    message_id = _header(headers, "Message-ID").strip() if headers is not None else ""
    key = message_id if 3 <= len(message_id) <= MAX_KEY else "sha256:" + hashlib.sha256(raw).hexdigest()
    payload = {"uid": uid, "uidvalidity": uidvalidity, "size": size, "truncated": truncated,
               "mail": base64.b64encode(raw).decode("ascii")}
    return key, _sender(headers) if headers is not None else None, payload


def _headers_only(raw: bytes) -> Message | None:
    try:
        return BytesHeaderParser(policy=policy.default).parsebytes(raw)
    except Exception:  # the parser is lenient; anything it still cannot take is a mail without headers
        return None


# -- reading a mail -----------------------------------------------------------------------------


def _clean(text: str) -> str:
    """Valid Unicode only: undecodable bytes (kept as surrogates by the parser) become U+FFFD."""
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    except UnicodeEncodeError:  # a lone surrogate that stands for no byte
        return text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


def _header(mail: Message, name: str) -> str:
    """A decoded header, "" when absent or beyond repair."""
    try:
        value = mail.get(name)
        return "" if value is None else _clean(str(value))
    except Exception:  # a malformed header that policy.default cannot even turn into a defect
        try:
            return str(mail.get_all(name, [""])[0].encode("ascii", "replace"), "ascii")
        except Exception:
            return ""


def _mailboxes(mail: Message, name: str) -> list[tuple[str, str]]:
    """(display name, lowercased address) pairs of an address header, read as structured when it parses."""
    try:
        header = mail.get(name)
        found = [(a.display_name, a.addr_spec) for a in getattr(header, "addresses", ())]
    except Exception:  # beyond policy.default's repair: read the plain text instead
        found = []
    if not found:
        found = getaddresses([_header(mail, name)])
    return [(_clean(display).strip(), _clean(address).strip().lower()) for display, address in found if "@" in address]


def _addresses(mail: Message, *names: str) -> list[str]:
    return [address for name in names for _display, address in _mailboxes(mail, name)]


def _sender(mail: Message) -> str | None:
    found = _mailboxes(mail, "From")
    return found[0][1] if found else None


def _sender_name(mail: Message) -> str | None:
    found = _mailboxes(mail, "From")
    return (found[0][0] or None) if found else None


def automatic(mail: Message) -> str | None:
    """Why this mail came from a machine (and must never be answered), or None for a person's mail."""
    auto_submitted = _header(mail, "Auto-Submitted").strip().lower()
    if auto_submitted and not auto_submitted.startswith("no"):
        return "auto-submitted"
    if _header(mail, "Precedence").strip().lower() in ("bulk", "junk", "list", "auto_reply"):
        return "precedence"
    if mail.get("X-Autoreply") is not None or mail.get("X-Autorespond") is not None:
        return "autoreply header"
    if mail.get("List-Id") is not None or mail.get("List-Unsubscribe") is not None:
        return "mailing list"
    return_path = mail.get("Return-Path")
    if return_path is not None and _header(mail, "Return-Path").strip() in ("", "<>"):
        return "null sender"
    sender = _sender(mail) or ""
    if sender.split("@")[0] in ("mailer-daemon", "postmaster"):
        return "bounce"
    if mail.get_content_type() == "multipart/report":
        return "delivery report"
    return None


def _body_text(mail: EmailMessage) -> str:
    body = mail.get_body(("plain", "html"))
    if body is None:
        return ""
    try:
        content = body.get_content()
    except Exception:  # an unknown charset or a broken transfer encoding: read it as UTF-8, replacing
        data = body.get_payload(decode=True) or b""
        content = data.decode("utf-8", "replace") if isinstance(data, bytes) else str(data)
    if not isinstance(content, str):
        return ""
    content = _clean(content)
    return html_to_text(content) if body.get_content_subtype() == "html" else content


_QUOTE_HEADER = re.compile(r"^\s*(on|pada)\b.*\b(wrote|menulis)\s*:\s*$", re.IGNORECASE)
_FORWARD_RULE = re.compile(r"^\s*-{2,}\s*(original message|pesan asli|forwarded message|pesan terusan)\s*-{2,}", re.IGNORECASE)
_OUTLOOK_FROM = re.compile(r"^\s*\*?(from|dari)\s*:\*?\s", re.IGNORECASE)
_OUTLOOK_NEXT = re.compile(r"^\s*\*?(sent|dikirim|date|tanggal|to|kepada|subject|perihal)\s*:", re.IGNORECASE)
_MOBILE_FOOTER = re.compile(r"^\s*(sent from my|dikirim dari|get outlook for)\b", re.IGNORECASE)


def strip_reply(text: str) -> str:
    """The citizen's own words: cut at the quoted message or the signature, drop '>' lines."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kept: list[str] = []
    for number, line in enumerate(lines):
        two_lines = f"{line} {lines[number + 1]}" if number + 1 < len(lines) else line
        if line in ("-- ", "--") or _FORWARD_RULE.match(line) or _MOBILE_FOOTER.match(line):
            break
        if _QUOTE_HEADER.match(line) or (re.match(r"^\s*(on|pada)\s", line, re.I) and _QUOTE_HEADER.match(two_lines)):
            break
        if _OUTLOOK_FROM.match(line) and any(_OUTLOOK_NEXT.match(later) for later in lines[number + 1:number + 4]):
            break
        if line.lstrip().startswith(">"):
            continue
        kept.append(line.rstrip())
    return re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip()


class _HtmlText(HTMLParser):
    """HTML to plain text: block elements become line breaks; scripts, styles and quoted replies
    (blockquote, Gmail's gmail_quote, Outlook's reply header) are left out."""

    BLOCKS = {"p", "div", "br", "li", "tr", "table", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "section"}
    HIDDEN = {"script", "style", "head", "title", "blockquote"}
    QUOTES = ("gmail_quote", "divrplyfwdmsg", "appendonsend", "moz-cite-prefix", "yahoo_quoted")

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip_tag: str | None = None
        self._skip_depth = 0

    def handle_starttag(self, tag, attrs):
        if self._skip_tag is not None:
            self._skip_depth += tag == self._skip_tag
            return
        marks = " ".join(value or "" for name, value in attrs if name in ("class", "id")).lower()
        if tag in self.HIDDEN or any(mark in marks for mark in self.QUOTES):
            self._skip_tag, self._skip_depth = tag, 1
            return
        if tag in self.BLOCKS:
            self.parts.append("\n")
        if tag == "li":
            self.parts.append("- ")

    def handle_startendtag(self, tag, attrs):
        if self._skip_tag is None and tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if self._skip_tag is not None:
            if tag == self._skip_tag:
                self._skip_depth -= 1
                if self._skip_depth == 0:
                    self._skip_tag = None
            return
        if tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data):
        if self._skip_tag is None:
            self.parts.append(re.sub(r"\s+", " ", data))


def html_to_text(html: str) -> str:
    parser = _HtmlText()
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # html.parser is lenient; keep whatever it read before giving up
        log.info("an HTML body could not be read to the end")
    lines = (line.strip() for line in "".join(parser.parts).split("\n"))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _is_reply(mail: Message, subject: str) -> bool:
    return bool(mail.get("In-Reply-To") or mail.get("References")) or bool(
        re.match(r"^\s*(re|aw|sv|balas|bls|fw|fwd)\s*:", subject, re.IGNORECASE))


def _media(mail: EmailMessage, truncated: bool, size: int) -> tuple[Media, ...]:
    """Photos, and other attachments (the attachment store refuses those with its reason); when the
    poller's size cap cut the mail, its last part is refused (it is incomplete)."""
    body = mail.get_body(("plain", "html"))
    leaves = [part for part in mail.walk() if not part.is_multipart() and part is not body]
    cut = leaves.pop() if truncated and leaves else None
    found = []
    for part in leaves:
        if part.get_content_maintype() != "image" and part.get_content_disposition() != "attachment":
            continue  # the body's other alternative, calendar parts…
        data = part.get_payload(decode=True)
        if isinstance(data, bytes) and data:
            encoded = base64.b64encode(data).decode("ascii")
            found.append(Media(f"data:{part.get_content_type()};base64,{encoded}", part.get_content_type()))
    if cut is not None:
        found.append(Media(f"refused:the e-mail is {size} bytes, too large to read whole; send one photo per e-mail",
                           cut.get_content_type()))
    return tuple(found)


def _reply_context(mail: Message) -> dict[str, str]:
    message_id = _header(mail, "Message-ID").strip()
    if not MESSAGE_ID.match(message_id):
        return {}
    references = [ref for ref in _header(mail, "References").split() if MESSAGE_ID.match(ref)]
    references = (references + [message_id])[-MAX_REFERENCES:]
    return {"message_id": message_id, "references": " ".join(references)}


# -- the adapter --------------------------------------------------------------------------------


class EmailAdapter:
    channel = CHANNEL
    capabilities = Capabilities(buttons=False, location=False, photos=True, max_length=20_000)

    def __init__(self, address: str, imap: ImapSettings, smtp: SmtpSettings):
        self.address = address.strip().lower()
        self.local_part, _, self.domain = self.address.partition("@")
        self.imap, self.smtp = imap, smtp
        self.source = f"imap://{imap.host}:{imap.port}/{imap.folder}"  # what the poller hands to verify

    @classmethod
    def from_environ(cls, environ: dict[str, str]) -> EmailAdapter:
        return cls(*settings_from(environ))

    def close(self) -> None:
        """Nothing is held open: each send is one SMTP session, and the IMAP connection is the poller's."""

    # -- inbound ----------------------------------------------------------------------------------

    def verify(self, url: str, headers: dict[str, str], form: dict[str, str], body: bytes) -> bool:
        """Mail only enters through the poller of this mailbox, never through a web request."""
        return hmac.compare_digest(url.encode(), self.source.encode())

    def parse(self, payload: Any) -> list[Incoming]:
        if not isinstance(payload, dict) or not isinstance(payload.get("mail"), str):
            raise ValueError("an e-mail payload is a JSON object with the base64 mail")
        uid = payload.get("uid")
        try:
            mail = message_from_bytes(base64.b64decode(payload["mail"]), policy=policy.default)
            return self._read(mail, payload)
        except Exception as error:  # malformed beyond what the parser tolerates: skipped, kept in the inbox
            log.warning("mail uid %s could not be read (%s): not answered", uid, type(error).__name__)
            return []

    def _read(self, mail: EmailMessage, payload: dict) -> list[Incoming]:
        uid = payload.get("uid")
        reason = automatic(mail)
        sender = _sender(mail)
        if reason is None and (sender is None or sender == self.address or self._ticket_of(sender)):
            reason = "no sender" if sender is None else "our own address"
        if reason is not None:
            log.info("mail uid %s not answered: %s", uid, reason)
            return []
        subject = _header(mail, "Subject").strip()
        try:
            body = strip_reply(_body_text(mail))
        except Exception as error:
            log.warning("mail uid %s: body unreadable (%s)", uid, type(error).__name__)
            body = ""
        text = body if _is_reply(mail, subject) or not subject else f"{subject}\n\n{body}".strip()
        try:
            media = _media(mail, bool(payload.get("truncated")), int(payload.get("size") or 0))
        except Exception as error:
            log.warning("mail uid %s: attachments unreadable (%s)", uid, type(error).__name__)
            media = ()
        return [Incoming(
            channel=CHANNEL,
            provider_message_id=self._key(mail, payload),
            sender=sender,
            text=text,
            media=media,
            sender_name=_sender_name(mail),
            reply_context=_reply_context(mail),
            about_ticket=self._about_ticket(mail),
            raw={"uid": uid},
        )]

    @staticmethod
    def _key(mail: Message, payload: dict) -> str:
        message_id = _header(mail, "Message-ID").strip()
        if 3 <= len(message_id) <= MAX_KEY:
            return message_id
        return "sha256:" + hashlib.sha256(base64.b64decode(payload["mail"])).hexdigest()

    def _about_ticket(self, mail: Message) -> str | None:
        for address in _addresses(mail, "To", "Cc", "Delivered-To", "X-Original-To", "Envelope-To"):
            ticket = self._ticket_of(address)
            if ticket:
                return ticket
        return None

    def reply_address(self, ticket: str) -> str:
        """The signed address replies about `ticket` go to: lapor+JKT-2611-00042.<hmac>@domain."""
        ticket = ticket.upper()
        return f"{self.local_part}+{ticket}.{_signature(ticket)}@{self.domain}"

    def _ticket_of(self, address: str) -> str | None:
        local, _, domain = address.lower().partition("@")
        base, plus, tag = local.partition("+")
        if not plus or base != self.local_part or domain != self.domain:
            return None
        ticket, _, signature = tag.rpartition(".")
        if not TICKET.fullmatch(ticket) or not hmac.compare_digest(signature.encode(), _signature(ticket.upper()).encode()):
            return None
        return ticket.upper()

    def fetch_media(self, media: Media) -> tuple[bytes, str]:
        """The bytes travel inside the Media (the mail is in the inbox already): nothing to download."""
        if media.provider_id.startswith("refused:"):
            raise PermanentError(media.provider_id.removeprefix("refused:"))
        header, _, data = media.provider_id.partition(",")
        if not header.startswith("data:") or not header.endswith(";base64"):
            raise PermanentError("the attachment could not be read")
        return base64.b64decode(data), media.content_type or header[5:-7]

    # -- outbound ---------------------------------------------------------------------------------

    def compose(self, message: Outgoing) -> EmailMessage:
        """The reply: threaded on the citizen's mail, the ticket in the subject and the signed Reply-To."""
        mail = EmailMessage()
        found = TICKET.search(message.text)
        ticket = found.group(1).upper() if found else None
        context = message.reply_context or {}
        mail["From"] = self.address
        mail["To"] = message.recipient
        mail["Subject"] = TICKET_SUBJECT.format(ticket=ticket) if ticket else SUBJECT
        if ticket and context.get("signed_reply", True):  # not on cases sent to units: officers are no reporters
            mail["Reply-To"] = self.reply_address(ticket)
        mail["Date"] = format_datetime(utcnow())
        mail["Message-ID"] = self._message_id(message)
        if MESSAGE_ID.match(str(context.get("message_id", ""))):
            mail["In-Reply-To"] = context["message_id"]
            mail["References"] = " ".join(
                ref for ref in str(context.get("references") or context["message_id"]).split() if MESSAGE_ID.match(ref))
        mail["Auto-Submitted"] = "auto-replied" if "In-Reply-To" in mail else "auto-generated"  # RFC 3834
        mail["X-Auto-Response-Suppress"] = "All"  # no out-of-office answers to the bot
        body = message.text[: self.capabilities.max_length]
        if message.media_urls:
            body += "\n\n" + "\n".join(message.media_urls)
        mail.set_content(body)
        return mail

    def _message_id(self, message: Outgoing) -> str:
        """One Message-ID per outbox row, the same on every try: a mail resent after a crash mid-send is the same
        mail to the citizen's provider and client, which keep one of the two (no secret or address in it)."""
        if not message.key:
            return make_msgid(domain=self.domain or None)
        digest = hashlib.sha256(f"{self.address}\n{message.key}".encode()).hexdigest()[:32]
        return f"<{digest}@{self.domain or 'localhost'}>"

    def send(self, message: Outgoing) -> str:
        mail = self.compose(message)
        self._deliver(mail, message.recipient)
        return mail["Message-ID"]

    def _deliver(self, mail: EmailMessage, recipient: str) -> None:
        settings = self.smtp
        try:
            with smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout) as client:
                client.ehlo()
                if settings.starttls:
                    if not client.has_extn("starttls"):
                        raise RetryableError("smtp: the server offers no STARTTLS (set SMTP_STARTTLS=0 to send in clear)")
                    client.starttls(context=ssl.create_default_context())
                    client.ehlo()
                if settings.user:
                    client.login(settings.user, settings.password)
                client.send_message(mail, from_addr=self.address, to_addrs=[recipient])
        except smtplib.SMTPRecipientsRefused as error:
            code, reply = next(iter(error.recipients.values()), (0, b""))
            raise _refusal("recipient refused", code, reply, recipient_refused=True) from None
        except smtplib.SMTPAuthenticationError as error:  # the operator fixes the credentials: keep the mail
            raise RetryableError(f"smtp login refused: {error.smtp_code}") from None
        except smtplib.SMTPResponseException as error:  # sender refused, data refused, …
            raise _refusal("refused", error.smtp_code, error.smtp_error) from None
        except (smtplib.SMTPException, OSError) as error:  # unreachable, disconnected, timed out, TLS failed
            raise RetryableError(f"smtp unreachable: {type(error).__name__}") from None


def _refusal(what: str, code: int, reply: bytes | str, recipient_refused: bool = False) -> SendError:
    """4xx: try later. 5xx: never this message; the contact too when the address itself is bad (5.1.x,
    or a bare 550/551/553 for a recipient)."""
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    if not 500 <= code < 600:
        return RetryableError(f"smtp {what}: {code}")
    enhanced = re.match(r"\s*(5\.\d{1,3}\.\d{1,3})\b", text)
    if enhanced:
        bad_address = recipient_refused and enhanced.group(1).startswith("5.1.")
    else:
        bad_address = recipient_refused and code in (550, 551, 553)
    detail = f" {enhanced.group(1)}" if enhanced else ""
    return PermanentError(f"smtp {what}: {code}{detail}", stop_contact=bad_address)


def _signature(ticket: str) -> str:
    return crypto.active().lookup_hash("email-reply-address", ticket)[:SIGNATURE_CHARS]
