"""A stand-in for the X API v2 on 127.0.0.1, speaking its wire protocol (docs.x.com/x-api):

- GET /2/users/:id/mentions, app-only bearer auth: posts newest first, `since_id`, `max_results`
  (5-100), opaque `pagination_token`s; {"data": […], "includes": {"users": […], "places": […]},
  "meta": {"result_count", "newest_id", "oldest_id", "next_token"}}, only {"meta": {"result_count": 0}}
  when nothing matched. Posts carry `id`, `text` and `edit_history_tweet_ids` always, other fields
  only when asked for in `tweet.fields`; users and places only with their expansion.
- A rate-limit window for the mentions timeline: every answer carries x-rate-limit-limit / -remaining / -reset
  (epoch seconds); past the budget, 429 until the reset.
- POST /2/tweets, OAuth 1.0a user context: the Authorization header's HMAC-SHA1 signature is checked
  with the known consumer and token secrets; {"text", "reply": {"in_reply_to_tweet_id"}} → 201
  {"data": {"id", "text", "edit_history_tweet_ids"}}; more than 280 weighted characters (a URL counts
  23) → 400; the same text twice → 403 duplicate content.
Errors are problem objects ({"title", "detail", "type", "status"}) as the v2 API returns them."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import threading
import time
from urllib.parse import parse_qs, urlsplit

from oauthlib.oauth1.rfc5849 import signature, utils

from tests.standins.loopback import JsonHandler, LoopbackServer

URL = re.compile(r"https?://\S+|\b(?:[\w-]+\.)+(?:id|com|org|net|me)\b(?:/\S*)?")  # X links bare domains too
DEFAULT_TWEET_FIELDS = ("id", "text", "edit_history_tweet_ids")
DEFAULT_USER_FIELDS = ("id", "name", "username")


def weighted_length(text: str) -> int:
    """X's count: any link (bare domains too) is 23 characters (t.co), the rest one each (enough for Latin text)."""
    return len(URL.sub("x" * 23, text))


def problem(status: int, title: str, detail: str) -> dict:
    return {"title": title, "detail": detail, "type": "about:blank", "status": status}


class XStandIn(LoopbackServer):
    def __init__(self, bearer_token: str, consumer: tuple[str, str], access: tuple[str, str], window_limit: int = 450):
        self.bearer_token = bearer_token
        self.consumer_key, self.consumer_secret = consumer
        self.access_token, self.access_secret = access
        self.users: dict[str, dict] = {}  # id → {"id", "name", "username"}
        self.places: dict[str, dict] = {}
        self.tweets: list[dict] = []  # every post, full objects; the mentions timeline filters them
        self.posted: list[dict] = []  # POST /2/tweets bodies accepted
        self.requests: list[tuple[str, str, dict]] = []  # (method, path, query) of every call
        self.failures: list[tuple[int, dict]] = []  # answered to the next POSTs, in order
        self.window_limit = window_limit
        self.remaining = window_limit
        self.reset_at = int(time.time()) + 900
        self._tokens: dict[str, int] = {}  # pagination token → offset
        self._next_id = 1_900_000_000_000_000_000
        self._lock = threading.Lock()
        super().__init__(self._handler())

    # -- what tests arrange -----------------------------------------------------------------------

    def add_user(self, user_id: str, username: str, name: str) -> None:
        self.users[user_id] = {"id": user_id, "username": username, "name": name}

    def mention(self, author_id: str, text: str, *, retweet_of: str | None = None, point: tuple[float, float] | None = None,
                place: str | None = None, edit_of: str | None = None) -> str:
        """A post mentioning the city account; returns its id (increasing, as X's snowflakes)."""
        with self._lock:
            self._next_id += 1
            tweet_id = str(self._next_id)
        history = [edit_of, tweet_id] if edit_of else [tweet_id]
        tweet = {"id": tweet_id, "text": text, "edit_history_tweet_ids": history, "author_id": author_id,
                 "created_at": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())}
        if retweet_of:
            tweet["referenced_tweets"] = [{"type": "retweeted", "id": retweet_of}]
        if point or place:
            tweet["geo"] = {}
            if point:
                tweet["geo"]["coordinates"] = {"type": "Point", "coordinates": [point[1], point[0]]}
            if place:
                place_id = f"p{len(self.places) + 1:015x}"
                self.places[place_id] = {"id": place_id, "full_name": place}
                tweet["geo"]["place_id"] = place_id
        self.tweets.append(tweet)
        return tweet_id

    def spend_budget(self, remaining: int, reset_at: int) -> None:
        """Leave `remaining` requests in the window, which resets at `reset_at` (epoch seconds)."""
        self.remaining, self.reset_at = remaining, reset_at

    def fail_next(self, status: int, title: str = "Service Unavailable", detail: str = "Service Unavailable") -> None:
        self.failures.append((status, problem(status, title, detail)))

    def mention_calls(self) -> list[dict]:
        return [query for method, path, query in self.requests if method == "GET" and path.endswith("/mentions")]

    # -- the endpoints ----------------------------------------------------------------------------

    def _rate_headers(self) -> dict[str, str]:
        return {"x-rate-limit-limit": str(self.window_limit), "x-rate-limit-remaining": str(self.remaining),
                "x-rate-limit-reset": str(self.reset_at)}

    def _budget(self) -> bool:
        """One request from the window; False when none is left (a new window once reset)."""
        if time.time() >= self.reset_at:
            self.remaining, self.reset_at = self.window_limit, int(time.time()) + 900
        if self.remaining <= 0:
            return False
        self.remaining -= 1
        return True

    def _mentions(self, user_id: str, query: dict, authorization: str) -> tuple[int, dict]:
        if authorization != f"Bearer {self.bearer_token}":
            return 401, problem(401, "Unauthorized", "Unauthorized")
        if not self._budget():
            return 429, problem(429, "Too Many Requests", "Too Many Requests")
        max_results = int(query.get("max_results", 10))
        if not 5 <= max_results <= 100:
            return 400, problem(400, "Invalid Request", "The `max_results` query parameter value is not between 5 and 100")
        since = int(query.get("since_id", 0))
        found = sorted((t for t in self.tweets if int(t["id"]) > since and self._mentions_user(t, user_id)),
                       key=lambda t: int(t["id"]), reverse=True)
        token = query.get("pagination_token")
        if token is not None and token not in self._tokens:
            return 400, problem(400, "Invalid Request", "The `pagination_token` query parameter value is invalid")
        offset = self._tokens.get(token, 0) if token else 0
        page = found[offset:offset + max_results]
        if not page:
            return 200, {"meta": {"result_count": 0}}
        meta = {"result_count": len(page), "newest_id": page[0]["id"], "oldest_id": page[-1]["id"]}
        if offset + max_results < len(found):
            meta["next_token"] = secrets.token_hex(16)
            self._tokens[meta["next_token"]] = offset + max_results
        return 200, {"data": [self._shaped(t, query) for t in page], **self._includes(page, query), "meta": meta}

    def _mentions_user(self, tweet: dict, user_id: str) -> bool:
        user = self.users.get(user_id)
        return user is not None and f"@{user['username']}".lower() in tweet["text"].lower()

    @staticmethod
    def _shaped(tweet: dict, query: dict) -> dict:
        fields = set(DEFAULT_TWEET_FIELDS) | set(filter(None, query.get("tweet.fields", "").split(",")))
        return {key: value for key, value in tweet.items() if key in fields}

    def _includes(self, page: list[dict], query: dict) -> dict:
        expansions = set(filter(None, query.get("expansions", "").split(",")))
        includes: dict[str, list] = {}
        if "author_id" in expansions:
            fields = set(DEFAULT_USER_FIELDS) | set(filter(None, query.get("user.fields", "").split(",")))
            authors = dict.fromkeys(t["author_id"] for t in page)
            includes["users"] = [{k: v for k, v in self.users[a].items() if k in fields} for a in authors if a in self.users]
        if "geo.place_id" in expansions:
            ids = dict.fromkeys(t["geo"]["place_id"] for t in page if "place_id" in t.get("geo", {}))
            if ids:
                includes["places"] = [self.places[i] for i in ids]
        return {"includes": includes} if includes else {}

    def _create_tweet(self, url: str, authorization: str, body: dict) -> tuple[int, dict]:
        if not self._signed(url, authorization):
            return 401, problem(401, "Unauthorized", "Unauthorized")
        if self.failures:
            return self.failures.pop(0)
        text = body.get("text")
        if not isinstance(text, str) or not text.strip():
            return 400, problem(400, "Invalid Request", "One or more parameters to your request was invalid.")
        if weighted_length(text) > 280:
            return 400, problem(400, "Invalid Request", "Tweet text is too long.")
        if any(post["text"] == text for post in self.posted):
            return 403, problem(403, "Forbidden", "You are not allowed to create a Tweet with duplicate content.")
        reply_to = (body.get("reply") or {}).get("in_reply_to_tweet_id")
        if reply_to is not None and not any(reply_to in t["edit_history_tweet_ids"] for t in self.tweets):
            return 403, problem(403, "Forbidden", "You attempted to reply to a Tweet that is deleted or not visible to you.")
        with self._lock:
            self._next_id += 1
            tweet_id = str(self._next_id)
        self.posted.append(body)
        self.tweets.append({"id": tweet_id, "text": text, "edit_history_tweet_ids": [tweet_id],
                            "author_id": "city", "created_at": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())})
        return 201, {"data": {"id": tweet_id, "text": text, "edit_history_tweet_ids": [tweet_id]}}

    def _signed(self, url: str, authorization: str) -> bool:
        """OAuth 1.0a HMAC-SHA1 over method, URL and the oauth_* and query parameters (a JSON body is not signed)."""
        if not authorization.startswith("OAuth "):
            return False
        params = signature.collect_parameters(uri_query=urlsplit(url).query, headers={"Authorization": authorization},
                                              exclude_oauth_signature=False)
        given = dict(params)
        if given.get("oauth_consumer_key") != self.consumer_key or given.get("oauth_token") != self.access_token:
            return False
        if given.get("oauth_signature_method") != "HMAC-SHA1" or "oauth_signature" not in given:
            return False
        unsigned = [(k, v) for k, v in params if k != "oauth_signature"]
        base = signature.signature_base_string("POST", signature.base_string_uri(url),
                                               signature.normalize_parameters(unsigned))
        key = f"{utils.escape(self.consumer_secret)}&{utils.escape(self.access_secret)}"
        expected = base64.b64encode(hmac.new(key.encode(), base.encode(), hashlib.sha1).digest()).decode()
        return hmac.compare_digest(expected, given["oauth_signature"])

    def _handler(self):
        standin = self

        class Handler(JsonHandler):
            def do_GET(self):
                parts = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                standin.requests.append(("GET", parts.path, query))
                match = re.fullmatch(r"/2/users/(\d+)/mentions", parts.path)
                if not match:
                    return self._reply(404, problem(404, "Not Found Error", "Not Found"))
                with standin._lock:
                    status, body = standin._mentions(match.group(1), query, self.headers.get("Authorization", ""))
                self._reply(status, body, rate_headers=True)

            def do_POST(self):
                parts = urlsplit(self.path)
                standin.requests.append(("POST", parts.path, {}))
                raw = self.request_body()
                if parts.path != "/2/tweets":
                    return self._reply(404, problem(404, "Not Found Error", "Not Found"))
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    return self._reply(400, problem(400, "Invalid Request", "The body is not JSON."))
                url = f"http://{self.headers['Host']}{self.path}"
                status, answer = standin._create_tweet(url, self.headers.get("Authorization", ""), body)
                self._reply(status, answer)

            def _reply(self, status: int, body: dict, rate_headers: bool = False) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                for name, value in (standin._rate_headers() if rate_headers else {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

        return Handler
