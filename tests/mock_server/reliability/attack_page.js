// The page on another origin (test_browser_attacks.py): every way to the control plane we could think of.
// CONFIG and FORM_LIST are filled in by the test; the results land in #out, then the title says done.
const C = CONFIG, FORMS = FORM_LIST, R = window.R = {};
const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));
const outcome = async (name, fn) => { try { R[name] = await fn(); } catch (e) { R[name] = "refused: " + e.name; } };
// What a frame or pop-up shows this page: nothing of another origin; an attachment leaves it blank.
const look = (win) => { try { const href = win.location.href; return href === "about:blank" ? "blank"
                                  : "readable:" + win.document.documentElement.textContent.slice(0, 80); }
                        catch (e) { return "unreadable"; } };
const frame = (src, wait = 700) => new Promise((ok) => {
  const f = document.createElement("iframe"); f.src = src; document.body.append(f);
  setTimeout(() => ok(look(f.contentWindow)), wait); });
const tag = (kind, src) => new Promise((ok) => {
  const el = document.createElement(kind);
  if (kind === "link") { el.rel = "stylesheet"; el.href = src; } else el.src = src;
  el.onload = () => ok("loaded"); el.onerror = () => ok("error"); document.body.append(el);
  setTimeout(() => ok("timeout"), 3000); });
window.addEventListener("message", (e) => { R["message:" + Object.keys(R).length] = String(e.data); });
(async () => {
  // 1. The reported attack, from another origin: the API is public (open CORS, any key).
  for (const [name, ref] of [["svg", C.SVG], ["html-as-png", C.HTML]]) {
    await outcome("avatar " + name, async () => {
      const r = await fetch(C.M + "/v1/avatars", {method: "POST", headers: {"x-api-key": "sk_attacker",
        "content-type": "application/json"}, body: JSON.stringify({identity: "evil-" + name + Date.now(),
        name: "Evil", refImage: ref})});
      const made = await r.json();
      R["frame " + name] = await frame(made.thumbnailUrl, 2000);
      const w = window.open(made.thumbnailUrl);
      await sleep(1500);
      R["popup " + name] = w ? look(w) : "blocked";
      try { w.close(); } catch (e) {}
      return r.status;
    });
  }
  // 2. Reads: CORS fetches (with and without credentials), opaque fetches.
  for (const path of ["/_mock/state", "/_mock/organizations", "/_mock/journal", "/_mock/changes", "/_mock/ui",
                      "/_mock/faults", "/_mock/clock", "/_mock/usage"]) {
    await outcome("cors GET " + path, async () => { const r = await fetch(C.M + path); return "read " + r.status + " " + (await r.text()).slice(0, 80); });
    await outcome("cors+credentials GET " + path, async () => { const r = await fetch(C.M + path, {credentials: "include"}); return "read " + r.status; });
    await outcome("no-cors GET " + path, async () => { const r = await fetch(C.M + path, {mode: "no-cors"}); return r.type === "opaque" && !r.status ? "opaque" : "read " + r.status; });
  }
  // 3. Writes: CORS (preflighted) and simple (no-cors) requests.
  for (const [method, path, body] of [["POST", "/_mock/reset", "{}"], ["PUT", "/_mock/assumptions", '{"cors":"closed"}'],
                                      ["DELETE", "/_mock/organizations", ""], ["DELETE", "/_mock/faults", ""],
                                      ["POST", "/_mock/faults", '{"path":"/v3/*","status":503}']]) {
    await outcome("cors " + method + " " + path, async () => { const r = await fetch(C.M + path, {method,
      headers: {"content-type": "application/json", "x-mock-token": "guess"}, body: body || undefined}); return "sent " + r.status; });
    if (method === "POST") await outcome("no-cors " + method + " " + path, async () => { const r = await fetch(C.M + path,
      {method, mode: "no-cors", headers: {"content-type": "text/plain"}, body}); return r.type; });
  }
  // 4. Form posts (text/plain carries a JSON body; urlencoded too), into a frame.
  for (const [path, body] of FORMS) {
    for (const enctype of ["text/plain", "application/x-www-form-urlencoded"]) {
      const target = "f" + Math.random().toString(36).slice(2);
      const f = document.createElement("iframe"); f.name = target; document.body.append(f);
      const form = document.createElement("form"); form.method = "POST"; form.action = C.M + path;
      form.enctype = enctype; form.target = target;
      const cut = body.length - 2, input = document.createElement("input");
      input.name = body.slice(0, cut); input.value = body.slice(cut);  // name=value reads as the JSON body
      form.append(input); document.body.append(form); form.submit();
    }
  }
  await sleep(1500);
  R["forms"] = "sent " + FORMS.length * 2;
  // 5. sendBeacon (a simple POST that outlives the page).
  for (const [path, body] of FORMS) await outcome("beacon " + path, async () =>
    navigator.sendBeacon(C.M + path, new Blob([body], {type: "text/plain"})) ? "queued" : "refused");
  // 6. Tags and frames: img, script, style; the inspector and the state in a frame and a pop-up.
  for (const path of ["/_mock/state", "/_mock/organizations", "/_mock/ui", "/_mock/ui/app.js"]) {
    R["img " + path] = await tag("img", C.M + path);
    R["script " + path] = await tag("script", C.M + path);
    R["style " + path] = await tag("link", C.M + path);
    R["frame " + path] = await frame(C.M + path);
  }
  R["frame GET /_mock/reset"] = await frame(C.M + "/_mock/reset");
  const w = window.open(C.M + "/_mock/ui");
  await sleep(1500);
  R["popup /_mock/ui"] = w ? look(w) : "blocked";
  try { w.close(); } catch (e) {}
  // 7. WebSocket and EventSource.
  R["websocket"] = await new Promise((ok) => { try { const s = new WebSocket(C.WS + "/_mock/changes");
    s.onopen = () => ok("open"); s.onerror = () => ok("error"); setTimeout(() => ok("timeout"), 3000); } catch (e) { ok("refused"); } });
  R["eventsource"] = await new Promise((ok) => { const s = new EventSource(C.M + "/_mock/changes");
    s.onmessage = () => ok("message"); s.onerror = () => { s.close(); ok("error"); }; setTimeout(() => ok("timeout"), 3000); });
  await sleep(500);
  document.getElementById("out").textContent = JSON.stringify(R);
  document.title = "done";
})();
