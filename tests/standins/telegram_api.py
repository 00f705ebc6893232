"""A stand-in for the Telegram Bot API on 127.0.0.1, speaking its wire protocol: POSTs to
/bot<token>/<method> (form-encoded; JSON-valued fields JSON-encoded), answers in the
{"ok": true, "result": …} envelope, errors as {"ok": false, "error_code", "description",
"parameters": {"retry_after"}} (https://core.telegram.org/bots/api#making-requests).

Inline keyboards are checked as Telegram does (callback_data 1-64 bytes, else BUTTON_DATA_INVALID)
and echoed in the sent message; a callback query can be answered once (a second answer is refused
as an expired query)."""

from __future__ import annotations

import json
import threading
import time
from urllib.parse import parse_qs, unquote, urlsplit

from tests.standins.loopback import JsonHandler, LoopbackServer

BOT = {"id": 777000, "is_bot": True, "first_name": "Lapor Jakarta", "username": "LaporJakartaBot",
       "can_join_groups": False, "can_read_all_group_messages": False, "supports_inline_queries": False}


class TelegramStandIn(LoopbackServer):
    def __init__(self, token: str):
        self.token = token
        self.calls: list[tuple[str, dict]] = []
        self.failures: list[tuple[int, dict]] = []  # answered, in order, before succeeding again
        self._next_id = 1
        self.files: dict[str, bytes] = {}  # file_id → bytes, served by getFile + /file/bot<token>/<path>
        self.updates: list[dict] = []  # served by getUpdates (offset honoured)
        self.answered: set[str] = set()  # callback query ids answered with answerCallbackQuery
        self._lock = threading.Lock()
        self.outage: tuple[int, dict] | None = None  # while set, every sendMessage gets this answer
        self.accepted: list[tuple[float, dict]] = []  # (monotonic time, params) of each sendMessage that succeeded
        super().__init__(self._handler())

    @property
    def api_base(self) -> str:
        return f"{self.origin}/bot"

    def sent(self, method: str = "sendMessage") -> list[dict]:
        return [params for name, params in self.calls if name == method]

    def fail_next(self, status: int, description: str, retry_after: int | None = None) -> None:
        body = {"ok": False, "error_code": status, "description": description}
        if retry_after is not None:
            body["parameters"] = {"retry_after": retry_after}
        self.failures.append((status, body))

    def begin_outage(self, status: int, retry_after: int | None = None) -> None:
        """Refuse every sendMessage from now on (500: down; 429 with retry_after: rate-limited) until end_outage."""
        description = "Too Many Requests: retry after %s" % retry_after if status == 429 else "Internal Server Error"
        body = {"ok": False, "error_code": status, "description": description}
        if retry_after is not None:
            body["parameters"] = {"retry_after": retry_after}
        self.outage = (status, body)

    def end_outage(self) -> None:
        self.outage = None

    def _answer(self, method: str, params: dict) -> tuple[int, dict]:
        with self._lock:
            self.calls.append((method, params))
            if method == "sendMessage" and self.outage is not None:
                return self.outage
            if method != "getMe" and self.failures:
                return self.failures.pop(0)
            if method == "getMe":
                return 200, {"ok": True, "result": BOT}
            if method == "getUpdates":
                offset = int(params.get("offset") or 0)
                return 200, {"ok": True, "result": [u for u in self.updates if u["update_id"] >= offset]}
            if method in ("setWebhook", "deleteWebhook"):
                return 200, {"ok": True, "result": True, "description": "Webhook was set"}
            if method == "getFile":
                file_id = params.get("file_id")
                if file_id not in self.files:
                    return 400, {"ok": False, "error_code": 400, "description": "Bad Request: invalid file_id"}
                return 200, {"ok": True, "result": {"file_id": file_id, "file_unique_id": file_id[-8:],
                                                    "file_size": len(self.files[file_id]), "file_path": f"photos/{file_id}.jpg"}}
            if method == "answerCallbackQuery":
                return self._answer_callback(params.get("callback_query_id"))
            if method == "sendMessage":
                status, body = self._send_message(params)
                if status == 200:
                    self.accepted.append((time.monotonic(), params))
                return status, body
            return 400, {"ok": False, "error_code": 400, "description": f"Bad Request: method {method} not supported here"}

    def _answer_callback(self, query_id: str | None) -> tuple[int, dict]:
        if not query_id or query_id in self.answered:
            return 400, {"ok": False, "error_code": 400,
                         "description": "Bad Request: query is too old and response timeout expired or query ID is invalid"}
        self.answered.add(query_id)
        return 200, {"ok": True, "result": True}

    def _send_message(self, params: dict) -> tuple[int, dict]:
        markup = params.get("reply_markup") or {}
        markup = json.loads(markup) if isinstance(markup, str) else markup  # JSON-encoded in a form post
        buttons = [button for row in markup.get("inline_keyboard", []) for button in row]
        if any(not 1 <= len(button.get("callback_data", "").encode()) <= 64 for button in buttons):
            return 400, {"ok": False, "error_code": 400, "description": "Bad Request: BUTTON_DATA_INVALID"}
        self._next_id += 1
        message = {"message_id": self._next_id, "date": int(time.time()),
                   "chat": {"id": int(params["chat_id"]), "type": "private"}, "from": BOT, "text": params.get("text", "")}
        if "inline_keyboard" in markup:  # Telegram echoes inline keyboards (only those) in the message
            message["reply_markup"] = {"inline_keyboard": markup["inline_keyboard"]}
        return 200, {"ok": True, "result": message}

    def _handler(self):
        standin = self

        class Handler(JsonHandler):
            def do_POST(self):
                self._serve()

            def do_GET(self):
                self._serve()

            def _serve(self):
                path = unquote(urlsplit(self.path).path)
                file_prefix = f"/file/bot{standin.token}/photos/"
                if path.startswith(file_prefix):
                    data = standin.files.get(path[len(file_prefix):].removesuffix(".jpg"))
                    if data is None:
                        return self.reply_json(404, {"ok": False, "error_code": 404, "description": "Not Found"})
                    self.send_response(200)
                    self.send_header("Content-Type", "image/jpeg")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    return self.wfile.write(data)
                prefix = f"/bot{standin.token}/"
                if not path.startswith(prefix):
                    return self.reply_json(404, {"ok": False, "error_code": 404, "description": "Not Found"})
                raw = self.request_body().decode()
                kind = self.headers.get("Content-Type", "")
                if "json" in kind and raw:
                    params = json.loads(raw)
                else:
                    params = {k: v[0] for k, v in parse_qs(raw).items()}
                status, body = standin._answer(path[len(prefix):], params)
                self.reply_json(status, body)

        return Handler
