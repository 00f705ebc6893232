"""X (Twitter) mentions of the city account, through tweepy's v2 `Client`.

Nothing is pushed to us: `fetch_mentions` polls GET /2/users/:id/mentions (bearer token) after the
newest mention already stored (`since_id`), page by page (`meta.next_token`), and hands back plain
dicts holding only what the gateway needs; the polling job (`gateway/polling.py`) records them in the
inbox. Retweets and the account's own posts are skipped. Replies are public tweets in reply to the
mention, posted with the account's OAuth 1.0a user-context keys: `send` refuses a message without
the tweet it answers, so nothing is ever posted to the timeline on its own.

tweepy hard-codes its API host inside `Client.request`; a session that rewrites it points the client
at `X_API_BASE` (a stand-in in tests). `wait_on_rate_limit` stays off (it would sleep inside the
call): a 429 comes back as the reset time, and the poller waits for it between runs.

Sample mention (what the inbox stores, encrypted):
    {"id": "1800000000000000002", "key": "1800000000000000001", "author_id": "42", "username": "warga42",
     "name": "Siti", "text": "@LaporJakarta pohon tumbang di Jl. Kenari", "lat": -6.19, "lon": 106.85,
     "place": "Kenari, Jakarta Pusat"}
`key` is the first id of the post's edit history: an edited mention (a new id) is the same message.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass, field
from typing import Any

import requests
import tweepy

from bots.base import Capabilities, InboxEntry, Incoming, Media, Outgoing, PermanentError, Polled, RetryableError

CHANNEL = "x"
TWEEPY_HOST = "https://api.twitter.com"  # what tweepy 4.17 calls; api.x.com serves the same API
MAX_PAGES = 8  # the mentions timeline reaches back 800 posts, 100 a page
TIMEOUT_S = 30
MENTION = re.compile(r"(?<![\w@])@\w{1,15}\b")  # handles: the city's own and other people's
TWEET_FIELDS = ["author_id", "created_at", "referenced_tweets", "geo", "edit_history_tweet_ids"]
log = logging.getLogger(__name__)


class _RedirectingSession(requests.Session):
    """tweepy's requests, sent to `api_base` instead of its hard-coded host, never without a timeout."""

    def __init__(self, api_base: str):
        super().__init__()
        self._base = api_base.rstrip("/")

    def request(self, method, url, *args, **kwargs):
        if isinstance(url, str) and url.startswith(TWEEPY_HOST):
            url = self._base + url[len(TWEEPY_HOST):]
        kwargs.setdefault("timeout", TIMEOUT_S)
        return super().request(method, url, *args, **kwargs)


@dataclass(frozen=True)
class MentionBatch:
    """What one poll found: the mentions (newest first), the newest id seen (skipped posts included),
    and, when the rate limit stopped it or is used up, the epoch second to wait for."""

    mentions: list[dict[str, Any]] = field(default_factory=list)
    newest_id: str | None = None
    complete: bool = True  # False: pages are missing, poll again from the same since_id
    retry_at: float | None = None


class XAdapter:
    channel = CHANNEL
    capabilities = Capabilities(buttons=False, location=False, photos=False, max_length=280, public=True)

    def __init__(self, bearer_token: str, user_id: str, *, consumer_key: str = "", consumer_secret: str = "",
                 access_token: str = "", access_token_secret: str = "", api_base: str = TWEEPY_HOST):
        self.user_id = str(user_id)
        # Raw responses: the pages' rate-limit headers are read too, the JSON stays plain dicts.
        self.client = tweepy.Client(
            bearer_token, consumer_key, consumer_secret, access_token, access_token_secret,
            return_type=requests.Response, wait_on_rate_limit=False,
        )
        self.client.session = _RedirectingSession(api_base)

    def close(self) -> None:
        """Let go of the kept-alive connections of tweepy's requests Session. Safe to call twice."""
        self.client.session.close()

    # -- inbound (polled) -------------------------------------------------------------------------

    poll_cursor = "x:mentions"
    polling = True

    def poll(self, cursor: dict[str, Any]) -> Polled:
        """The mentions after the stored `since_id`, oldest first; the cursor moves past the newest only once
        every page came, and a rate limit sets when to ask again."""
        batch = self.fetch_mentions(cursor.get("since_id"))
        entries = [InboxEntry(mention["key"], mention, self.sender_of(mention)) for mention in reversed(batch.mentions)]
        return Polled(entries, {"since_id": batch.newest_id} if batch.complete and batch.newest_id else {},
                      not_before=batch.retry_at)

    @staticmethod
    def moved(stored: dict[str, Any], polled: Polled) -> dict[str, Any]:
        """Past the newest mention, never backwards (another poll may have moved it meanwhile)."""
        since_id, newest = stored.get("since_id"), polled.cursor.get("since_id")
        if newest and (since_id is None or int(newest) > int(since_id)):
            since_id = newest
        return {"since_id": since_id} if since_id else {}

    def fetch_mentions(self, since_id: str | None) -> MentionBatch:
        """Every mention after `since_id`, all pages; raises RetryableError/PermanentError when the
        first request fails for another reason than the rate limit."""
        pages = tweepy.Paginator(
            self.client.get_users_mentions, self.user_id, since_id=since_id, max_results=100,
            expansions=["author_id", "geo.place_id"], tweet_fields=TWEET_FIELDS, user_fields=["username", "name"],
            place_fields=["full_name"], limit=MAX_PAGES,
        )
        mentions: list[dict] = []
        newest: str | None = None
        iterator = iter(pages)
        while True:
            try:
                response = next(iterator)
            except StopIteration:
                return MentionBatch(mentions, newest)
            except tweepy.TooManyRequests as error:
                log.warning("x mentions: rate limited until %s", error.reset_time)
                return MentionBatch(mentions, newest, complete=False, retry_at=_reset_or_soon(error.reset_time))
            except Exception as error:
                if mentions:  # a later page failed: keep what came, poll the rest again next time
                    log.warning("x mentions: a page failed (%s); polling again later", type(error).__name__)
                    return MentionBatch(mentions, newest, complete=False)
                raise _send_error(error) from None
            page = response.json()
            newest = _newer(newest, page.get("meta", {}).get("newest_id"))
            mentions += self.mentions_in(page)
            spent = _spent_until(response)
            if spent is not None:  # the window's budget is used up: stop before being refused
                more = bool(page.get("meta", {}).get("next_token"))
                return MentionBatch(mentions, newest, complete=not more, retry_at=spent)

    def mentions_in(self, page: dict) -> list[dict]:
        """The mentions of one API page worth answering, each reduced to what the gateway needs."""
        includes = page.get("includes", {})
        users = {user["id"]: user for user in includes.get("users", [])}
        places = {place["id"]: place for place in includes.get("places", [])}
        return [_mention(tweet, users, places) for tweet in page.get("data", []) if self._wanted(tweet)]

    def _wanted(self, tweet: dict) -> bool:
        """Not a retweet, not the account's own post (its replies mention the citizen, not itself)."""
        retweet = any(ref.get("type") == "retweeted" for ref in tweet.get("referenced_tweets", []))
        return not retweet and str(tweet.get("author_id")) != self.user_id

    def verify(self, url: str, headers: dict[str, str], form: dict[str, str], body: bytes) -> bool:
        return True  # nothing arrives by webhook: the poller fetched what it hands over itself

    def parse(self, payload: Any) -> list[Incoming]:
        if not isinstance(payload, dict) or not payload.get("id") or not payload.get("author_id"):
            raise ValueError("a mention needs an id and an author_id")
        return [
            Incoming(
                channel=CHANNEL,
                provider_message_id=str(payload.get("key") or payload["id"]),
                sender=str(payload["author_id"]),
                text=without_handles(payload.get("text", "")),
                latitude=payload.get("lat"),
                longitude=payload.get("lon"),
                sender_name=payload.get("name"),
                reply_context={"in_reply_to_tweet_id": str(payload["id"])},
                raw=payload,
            )
        ]

    @staticmethod
    def sender_of(mention: dict) -> str:
        return str(mention["author_id"])

    def fetch_media(self, media: Media) -> tuple[bytes, str]:
        raise PermanentError("photos are asked for privately, not taken from public posts")

    # -- outbound ---------------------------------------------------------------------------------

    def send(self, message: Outgoing) -> str:
        """A public reply to the mention; returns the new post's id."""
        in_reply_to = (message.reply_context or {}).get("in_reply_to_tweet_id")
        if not in_reply_to:
            raise PermanentError("an X reply needs the post it answers (in_reply_to_tweet_id)")
        try:
            response = self.client.create_tweet(text=message.text, in_reply_to_tweet_id=in_reply_to)
        except Exception as error:
            raise _send_error(error) from None
        return str(response.json()["data"]["id"])


def _mention(tweet: dict, users: dict, places: dict) -> dict:
    """Only what the gateway needs from a post: ids, the author's handle and name, text, geo."""
    author = users.get(tweet.get("author_id"), {})
    geo = tweet.get("geo") or {}
    point = (geo.get("coordinates") or {}).get("coordinates")  # GeoJSON order: [longitude, latitude]
    history = tweet.get("edit_history_tweet_ids") or [tweet["id"]]
    mention = {"id": tweet["id"], "key": history[0], "author_id": str(tweet.get("author_id")),
               "username": author.get("username"), "name": author.get("name"), "text": tweet.get("text", "")}
    if point and len(point) == 2:
        mention["lon"], mention["lat"] = float(point[0]), float(point[1])
    place = places.get(geo.get("place_id"), {}).get("full_name")
    if place:
        mention["place"] = place
    return mention


def without_handles(text: str) -> str:
    """The post's words without @handles (the city's own, and other people's: personal data)."""
    return " ".join(MENTION.sub(" ", text).split())


def _newer(current: str | None, candidate: str | None) -> str | None:
    if candidate is None:
        return current
    return candidate if current is None or int(candidate) > int(current) else current


def _spent_until(response: requests.Response) -> float | None:
    """The reset time when this response used the window's last request, else None."""
    if response.headers.get("x-rate-limit-remaining") != "0":
        return None
    return _reset_or_soon(_int(response.headers.get("x-rate-limit-reset")))


def _reset_or_soon(reset_time: int | None) -> float:
    return float(reset_time) if reset_time else time.time() + 60  # no header: a minute, then try again


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def _send_error(error: Exception) -> Exception:
    """tweepy's and requests' errors as the gateway's retryable or permanent ones."""
    if isinstance(error, tweepy.TooManyRequests):
        reset = error.reset_time
        return RetryableError("x 429: rate limited", retry_after=max(1.0, reset - time.time()) if reset else None)
    if isinstance(error, tweepy.TwitterServerError):
        return RetryableError(f"x {error.response.status_code}: server error")
    if isinstance(error, tweepy.Unauthorized):  # the keys: an operator's fix, the message may wait for it
        return RetryableError("x 401: credentials refused")
    if isinstance(error, tweepy.HTTPException):  # 400, 403 (duplicate, not allowed to reply), 404 (deleted)
        return PermanentError(f"x {error.response.status_code}: {'; '.join(error.api_messages)[:200]}")
    if isinstance(error, requests.RequestException):
        return RetryableError(f"x unreachable: {type(error).__name__}")
    return RetryableError(f"x error: {type(error).__name__}")
