"""The example page's own tiny backend: serves the page and starts conversations with the official SDK.

    python backend.py --endpoint http://127.0.0.1:8787 --api-key sk_demo --port 8000

The API key stays here, on the server side; the page only ever sees the room's serverUrl and the
consumer's token. The page comes from this origin, the room from the mock's: two origins, as in production.
Needs the `equos` SDK (pip install equos) and `npm ci` in this folder (for livekit-client's UMD build).
"""

from __future__ import annotations

import argparse
import json
import mimetypes
import os
import threading
import uuid
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from equos import EquosClient, EquosOptions
from equos.client.models import (
    CreateEquosBrainRequest,
    CreateEquosCharacterRequest,
    CreateEquosConversationRequest,
    CreateEquosConversationResponse,
    EquosParticipantIdentity,
)

HERE = Path(__file__).resolve().parent
STATIC = {
    "/": HERE / "index.html",
    "/index.html": HERE / "index.html",
    "/app.js": HERE / "app.js",
    "/style.css": HERE / "style.css",
    "/vendor/livekit-client.umd.js": HERE / "node_modules" / "livekit-client" / "dist" / "livekit-client.umd.js",
}


class Backend:
    """Starts conversations for the page with one demo character, made on first use."""

    def __init__(self, client: EquosClient, character_id: str | None, max_seconds: int | None):
        self.client = client
        self.character_id = character_id
        self.made_character = character_id is None  # ours to make again if the API forgot it (a restart)
        self.max_seconds = max_seconds
        self._lock = threading.Lock()

    def character(self) -> str:
        with self._lock:
            if self.character_id is None:
                brain = self.client.brains.create(CreateEquosBrainRequest(
                    instructions="You are Nova, a friendly guide. Keep answers short.",
                    greeting_message="Hi, I'm Nova. Ask me anything."))
                made = self.client.characters.create(CreateEquosCharacterRequest(
                    name="Nova", livekit_identity=f"nova-{uuid.uuid4().hex[:8]}", brain_id=brain.id))
                self.character_id = made.id
            return self.character_id

    def start(self) -> dict[str, object]:
        started = self._start()
        if started is None and self.made_character and self._character_gone():
            self.character_id = None  # the mock restarted without its state: make the character again
            started = self._start()
        if started is None:  # the SDK answers None for a refusal it has no model for (400, 404...)
            raise RuntimeError(f"the API refused to start a conversation with character {self.character_id}")
        conversation = started.conversation
        return {"id": conversation.id, "serverUrl": conversation.server_url, "token": started.consumer_access_token,
                "characterIdentity": conversation.character.livekit_identity,
                "characterName": conversation.character.name, "maxSeconds": conversation.max_seconds}

    def _character_gone(self) -> bool:
        try:
            return self.client.characters.get(self.character_id) is None
        except ValueError:  # an unknown id is answered with an empty 200, which the SDK cannot parse as JSON
            return True

    def _start(self) -> CreateEquosConversationResponse | None:
        request = CreateEquosConversationRequest(
            name="example page", character_id=self.character(),
            consumer=EquosParticipantIdentity(identity=f"visitor-{uuid.uuid4().hex[:6]}", name="Visitor"))
        if self.max_seconds is not None:
            request.max_seconds = self.max_seconds
        return self.client.conversations.start(request)

    def stop(self, conversation_id: str) -> None:
        self.client.conversations.stop(conversation_id)


def handler_for(backend: Backend) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = STATIC.get(self.path.split("?", 1)[0])
            if path is None or not path.is_file():
                self._reply(HTTPStatus.NOT_FOUND, b"not found\n", "text/plain")
                return
            self._reply(HTTPStatus.OK, path.read_bytes(), mimetypes.guess_type(path.name)[0] or "text/plain")

        def do_POST(self) -> None:
            parts = self.path.strip("/").split("/")
            try:
                if parts == ["api", "conversations"]:
                    self._json(HTTPStatus.CREATED, backend.start())
                elif len(parts) == 4 and parts[:2] == ["api", "conversations"] and parts[3] == "stop":
                    backend.stop(parts[2])
                    self._json(HTTPStatus.OK, {"stopped": parts[2]})
                else:
                    self._json(HTTPStatus.NOT_FOUND, {"error": "not found"})
            except Exception as error:  # the Equos API's refusal, shown to the page
                self._json(HTTPStatus.BAD_GATEWAY, {"error": str(error)})

        def _json(self, status: HTTPStatus, body: object) -> None:
            self._reply(status, json.dumps(body).encode(), "application/json")

        def _reply(self, status: HTTPStatus, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass  # quiet: the mock's journal has the API calls

    return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--endpoint", default=os.environ.get("EQUOS_MOCK_URL", "http://127.0.0.1:8787"),
                        help="the Equos API (the mock) [EQUOS_MOCK_URL]")
    parser.add_argument("--api-key", default=os.environ.get("EQUOS_API_KEY", "sk_frontend_demo"),
                        help="the API key, kept on this server [EQUOS_API_KEY]")
    parser.add_argument("--character-id", default=os.environ.get("EQUOS_CHARACTER_ID"),
                        help="an existing character (default: a demo character made on first use)")
    parser.add_argument("--max-seconds", type=int, default=None, help="maxSeconds of each conversation")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    backend = Backend(EquosClient(args.api_key, EquosOptions(endpoint=args.endpoint)), args.character_id,
                      args.max_seconds)
    server = ThreadingHTTPServer((args.host, args.port), handler_for(backend))
    print(f"the page: http://{args.host}:{server.server_address[1]}/", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
