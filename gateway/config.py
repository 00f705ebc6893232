"""Typed configuration: `config.yaml` plus the environment, validated once at start-up.

A wrong or missing value raises `ConfigError` whose message is one line naming the key
and the problem; `run.py` prints it and exits instead of showing a traceback.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from string import Formatter
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, PositiveFloat, PrivateAttr, ValidationError, field_validator, model_validator

from store.lifecycle import STATUSES

Language = Literal["id", "en"]


REQUIRED_MESSAGES = frozenset(
    """welcome help not_a_report ask_location ask_location_share location_button ask_category ask_confidential
    offer_duplicate confirm created subscribed emergency emergency_ask_location emergency_ask_location_share
    emergency_ask_details emergency_located emergency_photo_added emergency_detail_added emergency_closed
    out_of_area cancelled status status_changed status_note status_note_added status_duplicate status_done rating_thanks rating_refused rating_reminder comment_added
    case_forwarded case_urgent case_map case_photos case_accept_button case_coordinate_button case_reminder
    case_overdue officer_done officer_not_allowed officer_refused
    status_unknown no_ticket thanks_reply thanks_reply_draft small_talk
    stopped yes_no confidential_yes confidential_no unit_triage colour_red colour_purple colour_blue colour_yellow
    colour_green colour_grey track_title track_status track_unit track_due track_reported track_timeline track_proof
    track_privacy track_place track_not_found photo_rejected slow_down reminder expired
    x_report_created x_emergency_created x_out_of_area""".split()
)


class ConfigError(Exception):
    """The configuration cannot be used; the message is one line fit for an operator."""


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(Strict):
    """A wording in every supported language (Indonesian first)."""

    id: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def get(self, language: str) -> str:
        return self.en if language == "en" else self.id


class CityConfig(Strict):
    name: str
    timezone: str = "Asia/Jakarta"
    ticket_prefix: str = Field(default="JKT", pattern=r"^[A-Z]{2,6}$")
    jurisdiction_id: str = Field(min_length=1)
    emergency_number: str = "112"
    default_language: Language = "id"
    languages: list[Language] = ["id", "en"]

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class ServerConfig(Strict):
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)
    public_base_url: str | None = Field(default=None, pattern=r"^https?://[^\s/]+(/[^\s]*)?$")
    max_request_bytes: int = Field(default=1_048_576, ge=1024)
    threads: int = Field(default=4, ge=1, le=256)
    worker_threads: int = Field(default=1, ge=1, le=64)  # concurrent worker runs inside `serve`
    inbox_batch: int = Field(default=10, ge=1, le=500)  # inbound messages applied in one transaction
    inbox_linger_ms: int = Field(default=0, ge=0, le=1000)  # after a claim that found less than a batch, the wait
    # before the next: under load a batch gathers (its fixed cost shared), when quiet a message is claimed at once
    send_threads: int = Field(default=8, ge=1, le=64)  # recipients sent to at once

    @property
    def base_url(self) -> str:
        """Where citizens and providers reach us; without PUBLIC_BASE_URL, the local address."""
        return (self.public_base_url or f"http://{self.host}:{self.port}").rstrip("/")


class StorageConfig(Strict):
    database_url: str = "sqlite:///var/lapor.db"
    attachments_dir: Path = Path("var/attachments")
    max_attachment_bytes: int = Field(default=10_485_760, ge=1024)
    data_key_env: str = "LAPOR_DATA_KEY"
    dev_key_file: Path = Path("var/dev-data.key")


class GeographyConfig(Strict):
    border_tolerance_m: float = Field(default=30, ge=0, le=500)


class LifecycleConfig(Strict):
    emergency_sla_minutes: int = Field(default=15, gt=0)
    verifier_unit: str


class StatusConfig(Strict):
    colour: str
    label: Text


class Contacts(Strict):
    telegram_chats: list[str] = []
    emails: list[str] = []


class ServiceUnitConfig(Strict):
    code: str = Field(pattern=r"^[A-Z][A-Z0-9-]+$")
    name: str = Field(min_length=1)
    contacts: Contacts = Contacts()


class Keywords(Strict):
    id: list[str] = []
    en: list[str] = []


class CategoryConfig(Strict):
    code: str = Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)  # also a Telegram button's callback_data (≤ 64 bytes)
    name: Text
    description: Text
    group: str
    escalate_to: str
    # The service an emergency of this category goes to at once (its area unit is told too); unset: `escalate_to`.
    emergency_service: str | None = None
    sla_hours: float = Field(gt=0)
    priority: Literal["normal", "darurat"] = "normal"
    type: Literal["pengaduan", "aspirasi", "permintaan_informasi"] = "pengaduan"
    keywords: Keywords = Keywords()
    negative: list[str] = []  # phrases that look like a keyword but are not this problem
    duplicate_radius_m: float | None = Field(default=None, gt=0)

    @property
    def emergency_unit(self) -> str:
        """Where an emergency of this category goes at once: its emergency service, else its coordination service."""
        return self.emergency_service or self.escalate_to


class ConfidentialAttribute(Strict):
    description: Text
    confidential: Text
    public: Text


class OnlineGeocoder(Strict):
    enabled: bool = False
    nominatim_url: str = "http://127.0.0.1:8088"
    timeout_s: float = Field(default=3, gt=0)


class NormalizerConfig(Strict):
    category_confidence_threshold: float = Field(default=0.5, ge=0, le=1)
    duplicate_radius_m: float = Field(default=250, gt=0)
    duplicate_window_days: int = Field(default=30, gt=0)
    online_geocoder: OnlineGeocoder = OnlineGeocoder()


class ConversationConfig(Strict):
    reminder_after_minutes: int = Field(default=60, gt=0)  # a draft left this long gets one reminder
    expire_after_minutes: int = Field(default=1440, gt=0)  # …and is dropped after this long
    rate_limit_messages: int = Field(default=20, gt=0)  # more from one sender within the window: one "slow down"
    rate_limit_seconds: int = Field(default=60, gt=0)
    rating_reminder_hours: int = Field(default=24, gt=0)  # a finished report not rated by then: one reminder


class OfficerConfig(Strict):
    """Someone who may act on one unit's cases from Telegram (accept, coordinate, send the proof photo)."""

    telegram_user_id: str = Field(pattern=r"^\d+$")
    name: str = Field(min_length=1)
    unit: str = Field(min_length=1)  # the unit's code: a kelurahan (31.71.01.1001) or a service (DINAS-SDA)


class CasesConfig(Strict):
    """Cases forwarded to the units where their officers already are."""

    map_url: str = "https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=18/{lat}/{lon}"
    sla_reminder_minutes: int = Field(default=120, gt=0)  # the unit is reminded this long before the due time
    services_supervisor: str = "BIRO-PEMERINTAHAN"  # who hears of an overdue case of a service unit
    unit_contacts: dict[str, Contacts] = {}  # kelurahan/kecamatan/kota code → its chats and addresses
    officers: list[OfficerConfig] = []


POLLING = {"x": 60, "telegram": 1}  # seconds between two polls of a channel, unless config.yaml says otherwise


class ScheduleConfig(Strict):
    """Seconds between runs of each scheduled job (`run.py serve`); every job is safe to run in several processes."""

    worker: float = Field(default=0.5, gt=0)  # inbox and outbox; webhooks also wake it at once
    reminders: float = Field(default=60, gt=0)  # abandoned drafts: one reminder, then expiry
    notifications: float = Field(default=5, gt=0)  # status changes told to the reports' followers
    mailbox: float = Field(default=30, gt=0)  # IMAP poll (when the email channel is configured)
    polling: dict[str, PositiveFloat] = POLLING  # each polled channel: seconds between two polls
    polling_default: float = Field(default=30, gt=0)  # a polled channel not named here or in POLLING
    cases: float = Field(default=10, gt=0)  # cases forwarded to units, deadline reminders, escalations
    give_up_sending_after_hours: float = Field(default=24, gt=0)  # a provider down or rate-limiting is waited out

    @model_validator(mode="before")
    @classmethod
    def _older_names(cls, values):
        """`mentions` (before the one polling job) still sets X's interval; channels not named keep their default."""
        if isinstance(values, dict):
            values = dict(values)
            polling = dict(values.get("polling") or {})
            if "mentions" in values:
                polling.setdefault("x", values.pop("mentions"))
            values["polling"] = POLLING | polling
        return values


class SendLimit(Strict):
    """A provider's published sending limit, which the outbox keeps to (per sending process)."""

    per_second: float | None = Field(default=None, gt=0)  # all recipients together
    per_recipient_seconds: float = Field(default=0, ge=0)  # at least this long between two sends to one recipient
    per_group_seconds: float = Field(default=0, ge=0)  # the same for a group chat (Telegram: an id starting with '-')


class TemplateConfig(Strict):
    """A message the provider approved in advance (WhatsApp takes only these outside 24 h after the citizen wrote)."""

    name: str = Field(min_length=1)  # as the provider knows it: Meta's template name, Twilio's Content SID (HX…)
    parameters: list[str] = []  # the message's {placeholders}, in the order of the template's {{1}}, {{2}}…
    # Per citizen language: the provider's own language code (Meta matches it exactly: "en_US" is not "en"), and
    # another name where each language is a template of its own (Twilio: one Content SID per language).
    codes: dict[Language, str] = {}
    names: dict[Language, str] = {}


class ChannelConfig(Strict):
    """What a channel needs beyond its secrets (those live in the environment)."""

    templates: dict[str, TemplateConfig] = {}  # message key → the approved template sent instead of its text


class ConsoleConfig(Strict):
    """The officers' web console under /console/."""

    secret_key_env: str = "LAPOR_SECRET_KEY"  # signs session cookies; a development key is kept under var/ when unset
    dev_secret_file: Path = Path("var/dev-console-secret.key")
    session_hours: float = Field(default=8, gt=0)
    max_failed_logins: int = Field(default=5, ge=1)  # this many wrong passwords in a row lock the account…
    lockout_minutes: int = Field(default=15, gt=0)  # …for this long
    live_refresh_seconds: float = Field(default=10, gt=0)  # the inbox asks for new items this often
    tile_url: str | None = None  # e.g. http://tiles.local/{z}/{x}/{y}.png; unset: boundaries only
    tile_attribution: str = ""


class Open311Config(Strict):
    api_keys_env: str = "OPEN311_API_KEYS"
    max_results: int = Field(default=1000, ge=1, le=10_000)
    default_window_days: int = Field(default=90, ge=1)
    contact: str = ""
    service_notice: Text
    confidential_attribute: ConfidentialAttribute


class Config(Strict):
    city: CityConfig
    server: ServerConfig = ServerConfig()
    storage: StorageConfig = StorageConfig()
    geography: GeographyConfig = GeographyConfig()
    normalizer: NormalizerConfig = NormalizerConfig()
    conversation: ConversationConfig = ConversationConfig()
    schedule: ScheduleConfig = ScheduleConfig()
    send_limits: dict[str, SendLimit] = {}  # channel → its provider's limit; a channel not named is not paced
    channels: dict[str, ChannelConfig] = {}
    cases: CasesConfig = CasesConfig()
    console: ConsoleConfig = ConsoleConfig()
    lifecycle: LifecycleConfig
    statuses: dict[str, StatusConfig]
    service_units: list[ServiceUnitConfig] = Field(min_length=1)
    categories: list[CategoryConfig] = Field(min_length=1)
    open311: Open311Config
    messages: dict[str, Text]

    @model_validator(mode="after")
    def _consistent(self) -> Config:
        missing = set(STATUSES) - set(self.statuses)
        extra = set(self.statuses) - set(STATUSES)
        if missing or extra:
            raise ValueError(
                f"statuses must name exactly {sorted(STATUSES)}"
                + (f"; missing {sorted(missing)}" if missing else "")
                + (f"; unknown {sorted(extra)}" if extra else "")
            )
        unit_codes = [u.code for u in self.service_units]
        _no_repeats("service_units", unit_codes)
        _no_repeats("categories", [c.code for c in self.categories])
        for index, category in enumerate(self.categories):
            if category.escalate_to not in unit_codes:
                raise ValueError(
                    f"categories.{index}.escalate_to: {category.escalate_to!r} is not a service unit"
                )
            if category.emergency_service is not None and category.emergency_service not in unit_codes:
                raise ValueError(
                    f"categories.{index}.emergency_service: {category.emergency_service!r} is not a service unit"
                )
        missing_messages = REQUIRED_MESSAGES - set(self.messages)
        if missing_messages:
            raise ValueError(f"messages: missing {sorted(missing_messages)}")
        for channel, settings in self.channels.items():
            for key, template in settings.templates.items():
                if key not in self.messages:
                    raise ValueError(f"channels.{channel}.templates.{key}: no message of that name")
                named = {field for _text, field, _spec, _conv in Formatter().parse(self.messages[key].id) if field}
                if set(template.parameters) - named:
                    raise ValueError(f"channels.{channel}.templates.{key}.parameters: "
                                     f"{sorted(set(template.parameters) - named)} are not placeholders of the message")
        if self.lifecycle.verifier_unit not in unit_codes:
            raise ValueError(f"lifecycle.verifier_unit: {self.lifecycle.verifier_unit!r} is not a service unit")
        return self

    def message(self, key: str, language: str, **values: object) -> str:
        """A citizen-facing text from `messages`, in their language, with its {placeholders} filled."""
        return self.messages[key].get(language).format(**values)

    def template(self, channel: str, key: str, language: str, **values: object) -> dict | None:
        """The approved template a channel sends instead of message `key`, filled (for `Outgoing.template`); None
        when the channel sends the text."""
        found = self.channels.get(channel, ChannelConfig()).templates.get(key)
        if found is None:
            return None
        return {"name": found.names.get(language, found.name), "language": found.codes.get(language, language),
                "parameters": [str(values[name]) for name in found.parameters]}

    def unit_name(self, unit, language: str) -> str:
        """Who handles it, as citizens and officers read it: the unit, or triage when there is none yet."""
        return unit.name if unit is not None else self.message("unit_triage", language)

    def local_time(self, moment: datetime) -> str:
        """A stored (UTC) time as the city reads it: 27-11-2026 09:51."""
        return moment.astimezone(self.city.tz).strftime("%d-%m-%Y %H:%M")

    def tracking_link(self, report) -> str:
        """The public tracking page every reply carries."""
        return f"{self.server.base_url}/t/{report.ticket}?k={report.public_token}"

    # Admins' changes to categories (store.categories), applied over config.yaml's; refreshed by
    # `apply_category_settings` at start, after a change, and by a scheduled job in every process.
    _category_settings: dict[str, dict] = PrivateAttr(default_factory=dict)

    def apply_category_settings(self, settings: dict[str, dict]) -> None:
        self._category_settings.clear()
        self._category_settings.update(settings)

    # The units' contact points kept in the database (store.units.stored_contacts, edited by an admin in the
    # console), cached like the category settings: read at start, after an edit, and by the same job.
    _stored_contacts: tuple[Contacts, ...] = PrivateAttr(default=())

    def apply_stored_contacts(self, stored: dict[str, dict]) -> None:
        """`stored`: the contact points by unit code. Replaced whole: readers in other threads see one or the other."""
        self._stored_contacts = tuple(Contacts(telegram_chats=c.get("telegram_chats", []), emails=c.get("emails", []))
                                      for c in stored.values())

    def category(self, code: str) -> CategoryConfig | None:
        """A category as it applies now: config.yaml's, with what an admin changed in the console."""
        configured = next((c for c in self.categories if c.code == code), None)
        changed = self._category_settings.get(code)
        return configured.model_copy(update=changed) if configured and changed else configured

    def contacts_of(self, unit_code: str, stored: dict | None = None) -> Contacts:
        """Where a unit's cases go: the contact points kept in the database for it (`stored`, edited by an
        admin in the console) first, then a service's own contacts or those configured for an area unit."""
        service = self.service_unit(unit_code)
        configured = service.contacts if service else self.cases.unit_contacts.get(unit_code, Contacts())
        if not stored:
            return configured
        emails: dict[str, str] = {}  # one per address, whatever its case
        for email in [*stored.get("emails", []), *configured.emails]:
            emails.setdefault(email.lower(), email)
        chats = dict.fromkeys([*stored.get("telegram_chats", []), *configured.telegram_chats])
        return Contacts(telegram_chats=list(chats), emails=list(emails.values()))

    def is_unit_address(self, channel: str, address: str) -> bool:
        """A unit's own chat or mailbox, where cases go: what is said there is no citizen's report. The contact
        points configured here and those kept in the database (cached: `apply_stored_contacts`) both count."""
        every = [u.contacts for u in self.service_units] + list(self.cases.unit_contacts.values())
        every += self._stored_contacts
        if channel == "telegram":
            return any(address in contacts.telegram_chats for contacts in every)
        if channel == "email":
            return any(address.lower() in (e.lower() for e in contacts.emails) for contacts in every)
        return False

    def officer(self, telegram_user_id: str | None) -> OfficerConfig | None:
        return next((o for o in self.cases.officers if o.telegram_user_id == telegram_user_id), None)

    def service_unit(self, code: str) -> ServiceUnitConfig | None:
        return next((u for u in self.service_units if u.code == code), None)


def _no_repeats(key: str, codes: list[str]) -> None:
    seen: set[str] = set()
    for code in codes:
        if code in seen:
            raise ValueError(f"{key}: code {code!r} appears twice")
        seen.add(code)


def load_config(path: str | os.PathLike[str] = "config.yaml", environ: dict[str, str] | None = None) -> Config:
    """Read, apply environment overrides, and validate. Raises ConfigError (one line)."""
    environ = dict(os.environ if environ is None else environ)
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        raise ConfigError(f"{path}:{where} not valid YAML ({getattr(exc, 'problem', exc)})") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: must be a mapping of sections")
    _apply_environment(raw, environ)
    try:
        return Config.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(f"{path}: {_first_error(exc)}") from None


def _apply_environment(raw: dict, environ: dict[str, str]) -> None:
    server = raw.setdefault("server", {}) or {}
    storage = raw.setdefault("storage", {}) or {}
    raw["server"], raw["storage"] = server, storage
    if environ.get("DATABASE_URL"):
        storage["database_url"] = environ["DATABASE_URL"]
    if environ.get("PUBLIC_BASE_URL"):
        server["public_base_url"] = environ["PUBLIC_BASE_URL"]
    if environ.get("PORT"):
        port = environ["PORT"]
        if not port.isdigit():
            raise ConfigError(f"PORT: must be a port number, got {port!r}")
        server["port"] = int(port)


def _first_error(exc: ValidationError) -> str:
    errors = exc.errors()
    first = errors[0]
    key = ".".join(str(part) for part in first["loc"])
    message = first["msg"].removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        message = "unknown setting (check the spelling)"
    text = f"{key}: {message}" if key else message
    if len(errors) > 1:
        text += f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})"
    return text
