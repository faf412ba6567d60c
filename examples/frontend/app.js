// A conversation page on plain livekit-client, as Equos's browser SDK does it: join serverUrl with the
// consumer token, publish the microphone, show the character, speak equos_event on the data channel.
"use strict";

const { Room, RoomEvent, Track, DisconnectReason } = window.LivekitClient;
const TOPIC = "equos_event";
const $ = (id) => document.getElementById(id);

// What the end looks like to a person, by LiveKit's disconnect reason.
const END_REASONS = {
  CLIENT_INITIATED: "You left the conversation.",
  ROOM_DELETED: "The conversation was stopped.",
  ROOM_CLOSED: "The conversation was stopped.",
  PARTICIPANT_REMOVED: "You were removed from the conversation.",
  SERVER_SHUTDOWN: "The server shut down.",
  DUPLICATE_IDENTITY: "You joined from somewhere else.",
  JOIN_FAILURE: "The conversation could not be joined.",
  STATE_MISMATCH: "The connection was lost.",
  SIGNAL_CLOSE: "The connection was lost.",
  UNKNOWN_REASON: "The connection ended.",
};

let room = null;
let conversation = null; // {id, serverUrl, token, characterIdentity, characterName, maxSeconds}
let openUtterance = { agent: null, user: null }; // the bubble an unfinished utterance keeps writing to
let expireTimer = null;
let joined = false; // a failed connect also ends in Disconnected: only a joined room "ends"

function setStatus(state, text) {
  const pill = $("status");
  pill.dataset.state = state;
  pill.textContent = text;
}

function notice(text, kind = "info") {
  const box = $("notice");
  box.textContent = text;
  box.dataset.kind = kind;
  box.hidden = !text;
}

function timeOf(iso) {
  const when = iso ? new Date(iso) : new Date();
  return when.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
}

// One transcript line: "agent" is the character, "user" is the person at this page.
function addLine(author, content, recordedAt, finished = true) {
  let item = openUtterance[author];
  if (!item) {
    item = document.createElement("li");
    item.className = `line ${author === "agent" ? "from-character" : "from-user"}`;
    item.dataset.author = author;
    const who = document.createElement("span");
    who.className = "who";
    who.textContent = author === "agent" ? (conversation?.characterName || "Character") : "You";
    const text = document.createElement("p");
    text.className = "text";
    const at = document.createElement("time");
    item.append(who, text, at);
    $("transcript").append(item);
  }
  item.querySelector(".text").textContent = content;
  item.querySelector("time").textContent = timeOf(recordedAt);
  item.classList.toggle("speaking", !finished);
  openUtterance[author] = finished ? null : item;
  item.scrollIntoView({ block: "end", behavior: "smooth" });
  return item;
}

function addEvent(text, kind) {
  const item = document.createElement("li");
  item.className = `event ${kind}`;
  item.textContent = text;
  $("transcript").append(item);
  item.scrollIntoView({ block: "end" });
}

// The character's messages on equos_event (contract.ts): utterance, interrupt, trigger, expire_soon, error.
function onEquosEvent(message) {
  switch (message.type) {
    case "utterance": {
      const u = message.utterance || {};
      if (u.author === "user" && !openUtterance.user && lastUserLineSays(u.content)) return; // our own echo
      addLine(u.author === "user" ? "user" : "agent", String(u.content ?? ""), u.recordedAt, u.finished !== false);
      break;
    }
    case "expire_soon":
      showExpireSoon(Number(message.seconds_remaining));
      break;
    case "interrupt":
      if (openUtterance.agent) openUtterance.agent.classList.add("interrupted");
      openUtterance.agent = null;
      addEvent("The character was interrupted.", "interrupt");
      break;
    case "trigger":
      addEvent(`Trigger: ${message.name}${message.params ? " " + JSON.stringify(message.params) : ""}`, "trigger");
      break;
    case "error":
      notice(`The character reported an error: ${message.code}`, "error");
      addEvent(`Error: ${message.code}`, "error");
      break;
    default:
      break; // unknown types are ignored, as the SDK does
  }
}

function lastUserLineSays(content) {
  const lines = $("transcript").querySelectorAll(".line.from-user");
  const last = lines[lines.length - 1];
  return last && last.dataset.sent === "pending" && last.querySelector(".text").textContent === content
    ? (delete last.dataset.sent, true) : false;
}

function showExpireSoon(seconds) {
  const banner = $("expire");
  let left = Number.isFinite(seconds) ? Math.max(0, Math.round(seconds)) : 30;
  const render = () => {
    banner.textContent = `This conversation ends in ${left} second${left === 1 ? "" : "s"}.`;
  };
  render();
  banner.hidden = false;
  clearInterval(expireTimer);
  expireTimer = setInterval(() => { left = Math.max(0, left - 1); render(); }, 1000);
}

function attachTrack(track, participant) {
  const isCharacter = !conversation?.characterIdentity || participant.identity === conversation.characterIdentity;
  if (!isCharacter) return;
  if (track.kind === Track.Kind.Video) {
    track.attach($("character-video"));
    $("placeholder").hidden = true;
    const caption = $("character-name");
    caption.textContent = participant.name || participant.identity;
    caption.hidden = false;
  } else if (track.kind === Track.Kind.Audio) {
    track.attach($("character-audio"));
  }
}

function showMic() {
  const published = room?.localParticipant.getTrackPublication(Track.Source.Microphone);
  const on = Boolean(published && published.track && !published.isMuted);
  $("mic").dataset.on = String(on);
  $("mic").textContent = on ? "Microphone on" : "Microphone off";
}

function ended(reason) {
  if (!joined) return;
  clearInterval(expireTimer);
  const name = typeof reason === "number" ? DisconnectReason[reason] : reason;
  $("ended-reason").textContent = END_REASONS[name] || "The connection ended.";
  $("ended-reason").dataset.reason = name || "UNKNOWN_REASON";
  $("ended").hidden = false;
  $("placeholder").hidden = $("character-name").hidden = $("expire").hidden = true;
  $("message").disabled = $("send").disabled = $("leave").disabled = true;
  setStatus("ended", "Ended");
  showMic();
}

async function startConversation() {
  $("start").disabled = true;
  $("placeholder-text").textContent = "Starting the conversation…";
  setStatus("connecting", "Connecting");
  try {
    conversation = fromHash() || await fromBackend();
    await join(conversation);
  } catch (error) {
    setStatus("failed", "Not connected");
    $("placeholder-text").textContent = "Could not start the conversation.";
    notice(String(error && error.message ? error.message : error), "error");
    $("start").disabled = false;
  }
}

// A conversation started elsewhere (the documented curl): #serverUrl=...&token=...&character=...
function fromHash() {
  const params = new URLSearchParams(location.hash.slice(1));
  if (!params.get("serverUrl") || !params.get("token")) return null;
  return { id: params.get("conversation"), serverUrl: params.get("serverUrl"), token: params.get("token"),
           characterIdentity: params.get("character"), characterName: params.get("name") };
}

async function fromBackend() {
  const reply = await fetch("api/conversations", { method: "POST" });
  if (!reply.ok) throw new Error(`The backend could not start a conversation (HTTP ${reply.status}).`);
  return reply.json();
}

async function join(started) {
  room = new Room();
  window.equosRoom = room; // handy in the devtools console, and for browser tests
  room
    .on(RoomEvent.TrackSubscribed, (track, _publication, participant) => attachTrack(track, participant))
    .on(RoomEvent.DataReceived, (payload, _participant, _kind, topic) => {
      if (topic !== TOPIC) return;
      let message;
      try { message = JSON.parse(new TextDecoder().decode(payload)); } catch { return; } // not JSON: ignored
      if (message && typeof message === "object") onEquosEvent(message);
    })
    .on(RoomEvent.LocalTrackPublished, showMic)
    .on(RoomEvent.LocalTrackUnpublished, showMic)
    .on(RoomEvent.Reconnecting, () => setStatus("connecting", "Reconnecting"))
    .on(RoomEvent.Reconnected, () => setStatus("live", "Live"))
    .on(RoomEvent.Disconnected, ended);

  await room.connect(started.serverUrl, started.token);
  joined = true;
  setStatus("live", "Live");
  showFacts(started);
  $("placeholder-text").textContent = "Waiting for the character…";
  $("message").disabled = $("send").disabled = $("leave").disabled = false;
  $("message").focus();
  for (const participant of room.remoteParticipants.values()) {
    for (const publication of participant.trackPublications.values()) {
      if (publication.track) attachTrack(publication.track, participant);
    }
  }
  // Like the official SDK (autoPublishMic: true): the microphone goes on right after connecting.
  try {
    await room.localParticipant.setMicrophoneEnabled(true);
  } catch (error) {
    notice(`No microphone: ${error.message}. You can still type.`, "warn");
  }
  showMic();
}

function showFacts(started) {
  $("fact-character").textContent = started.characterName
    ? `${started.characterName} (${started.characterIdentity})` : (started.characterIdentity || "any participant");
  $("fact-you").textContent = room.localParticipant.identity;
  $("fact-room").textContent = room.name;
  $("fact-server").textContent = started.serverUrl;
  $("facts").hidden = false;
}

async function send(event) {
  event.preventDefault();
  const input = $("message");
  const text = input.value.trim();
  if (!text || !room) return;
  input.value = "";
  const line = addLine("user", text);
  line.dataset.sent = "pending";
  const bytes = new TextEncoder().encode(JSON.stringify({ type: "usr.txt", text }));
  await room.localParticipant.publishData(bytes, { reliable: true, topic: TOPIC });
}

async function leave() {
  $("leave").disabled = true;
  if (room) await room.disconnect();
  // Stop it on the backend too: billing runs until the conversation ends.
  if (conversation?.id && !fromHash()) {
    fetch(`api/conversations/${encodeURIComponent(conversation.id)}/stop`, { method: "POST", keepalive: true });
  }
}

$("start").addEventListener("click", startConversation);
if (fromHash()) startConversation(); // a conversation given in the URL: join it at once
$("restart").addEventListener("click", () => { location.hash = ""; location.reload(); });
$("leave").addEventListener("click", leave);
$("composer").addEventListener("submit", send);
