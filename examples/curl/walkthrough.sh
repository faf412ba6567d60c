#!/usr/bin/env bash
# The Equos v3 API with curl, on a running equos-mock: create a brain and a character, start a
# conversation, read it, stop it. Usage: examples/curl/walkthrough.sh
# (EQUOS_MOCK_URL and EQUOS_API_KEY change the defaults below; jq is used if installed, else python3).
set -euo pipefail

# --8<-- [start:setup]
BASE_URL="${EQUOS_MOCK_URL:-http://127.0.0.1:8787}"
# Any key works on the mock: a new key is a new, empty organization.
API_KEY="${EQUOS_API_KEY:-sk_test_curl_$(date +%s)_$RANDOM}"
# --8<-- [end:setup]

# --8<-- [start:helpers]
# equos METHOD PATH [JSON]: one API call; prints the JSON reply, fails on an HTTP error.
equos() {
  curl --silent --show-error --fail-with-body -X "$1" "$BASE_URL$2" \
    -H "x-api-key: $API_KEY" -H "content-type: application/json" ${3:+--data "$3"}
}
# JSON on stdin: `field a.b` prints one field, `show` pretty-prints it all. Set JQ= to use python3.
JQ="${JQ-$(command -v jq || true)}"
field() {
  if [ -n "$JQ" ]; then "$JQ" -r ".$1"; else python3 -c 'import functools, json, sys
print(functools.reduce(lambda value, key: value[key], sys.argv[1].split("."), json.load(sys.stdin)))' "$1"; fi
}
show() { if [ -n "$JQ" ]; then "$JQ" .; else python3 -m json.tool; fi; }
# --8<-- [end:helpers]

# --8<-- [start:health]
curl --silent --show-error --fail "$BASE_URL/v3/health"
echo
# --8<-- [end:health]

# --8<-- [start:brain]
brain=$(equos POST /v3/brains '{"instructions": "Be brief.", "greetingMessage": "Hi!"}')
brain_id=$(field id <<<"$brain")
echo "brain: $brain_id"
# --8<-- [end:brain]

# --8<-- [start:character]
# A character's livekitIdentity is unique in its organization: a second one gets a 409.
character=$(equos POST /v3/characters \
  "{\"name\": \"Guide\", \"livekitIdentity\": \"guide-$(date +%s)-$RANDOM\", \"brainId\": \"$brain_id\"}")
character_id=$(field id <<<"$character")
echo "character: $character_id"
# --8<-- [end:character]

# --8<-- [start:start]
started=$(equos POST /v3/conversations "{\"name\": \"curl walkthrough\", \"characterId\": \"$character_id\",
  \"consumer\": {\"identity\": \"user-1\", \"name\": \"User One\"}}")
conversation_id=$(field conversation.id <<<"$started")
echo "conversation: $conversation_id"
echo "LiveKit server: $(field conversation.serverUrl <<<"$started")"
echo "consumer token: $(field consumerAccessToken <<<"$started")"
# --8<-- [end:start]

# --8<-- [start:read]
equos GET "/v3/conversations/$conversation_id" | show
# --8<-- [end:read]

# --8<-- [start:stop]
stopped=$(equos POST "/v3/conversations/$conversation_id/stop")
echo "status: $(field status <<<"$stopped"), ended at $(field endedAt <<<"$stopped")"
# --8<-- [end:stop]
