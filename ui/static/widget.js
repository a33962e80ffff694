/* Aisle chat widget: <script src="https://aisle.example/widget.js" data-token="..." defer></script>
 * data-server (default: this script's origin), data-token (signed-in shopper), data-title, data-open="true";
 * or window.AisleConfig = {server, token, title, open}. Accent: aisle-widget { --aisle-accent: #c40 }.
 * API: window.Aisle.open(), .close(), .send(text). Renders in a Shadow DOM; server text only via textContent. */
(() => {
"use strict";
if (window.Aisle && window.Aisle.version) return; // included twice

const script = document.currentScript;
const config = window.AisleConfig || {};
const attr = (name) => (script && script.getAttribute("data-" + name)) || null;
const SERVER = String(attr("server") || config.server
  || (script && script.src ? new URL(script.src, location.href).origin : location.origin)).replace(/\/+$/, "");
const TOKEN = attr("token") || config.token || null;
const TITLE = attr("title") || config.title || "Ask us";
const START_OPEN = (attr("open") || String(config.open)) === "true";
const MAX_CHARS = 2000;
const CONVERSATION_KEY = "aisle.conversation";

// localStorage may be unavailable (private mode, sandboxed frames): fall back to memory
const memory = {};
const store = {
  get(k) { try { return localStorage.getItem(k); } catch { return memory[k] || null; } },
  set(k, v) { try { localStorage.setItem(k, v); } catch { memory[k] = v; } },
  remove(k) { try { localStorage.removeItem(k); } catch { delete memory[k]; } },
};

function sessionId() {
  let id = store.get("aisle.session");
  if (!/^[A-Za-z0-9_-]{16,128}$/.test(id || "")) {
    id = Array.from(crypto.getRandomValues(new Uint8Array(18)), (b) => b.toString(16).padStart(2, "0")).join("");
    store.set("aisle.session", id);
  }
  return id;
}

async function request(method, path, body) {
  const headers = { "X-Aisle-Session": sessionId() };
  if (TOKEN) headers.Authorization = "Bearer " + TOKEN;
  if (body) headers["Content-Type"] = "application/json";
  const response = await fetch(SERVER + path, { method, headers, credentials: "omit", body: body && JSON.stringify(body) });
  if (response.ok) return response;
  let detail = "";
  try {
    detail = (await response.json()).detail;
    if (Array.isArray(detail)) detail = detail.map((d) => d.msg).join("; "); // validation errors
  } catch { /* not JSON */ }
  throw Object.assign(new Error(typeof detail === "string" && detail ? detail : `Something went wrong (${response.status}).`),
    { status: response.status });
}
const getConversation = async () => (await request("GET", "/api/conversations/" + encodeURIComponent(conversationId))).json();

// Server-sent events from a fetch() body: "event:"/"data:" lines; a blank line ends an event.
async function* readEvents(body) {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = "", type = "", data = [];
  try {
    for (;;) {
      const { value, done } = await reader.read();
      buffer += decoder.decode(value, { stream: !done });
      const lines = buffer.split("\n");
      buffer = done ? "" : lines.pop();
      for (const raw of lines) {
        const line = raw.replace(/\r$/, "");
        if (!line) {
          if (data.length) yield { type, data: data.join("\n") };
          type = ""; data = [];
        } else {
          const [, field, val] = /^([^:]*):? ?(.*)$/.exec(line); // ":" lines (pings) have an empty field
          if (field === "event") type = val;
          else if (field === "data") data.push(val);
        }
      }
      if (done) break;
    }
  } finally {
    reader.cancel().catch(() => {});
  }
}

// DOM helpers: server text only ever goes in through textContent.
function h(tag, props, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value == null || value === false) continue;
    if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  node.append(...children.filter((c) => c != null));
  return node;
}
function icon(d) {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  const path = document.createElementNS(ns, "path");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  path.setAttribute("d", d);
  svg.append(path);
  return svg;
}
const CHAT = "M4 5.5A2.5 2.5 0 0 1 6.5 3h11A2.5 2.5 0 0 1 20 5.5v8a2.5 2.5 0 0 1-2.5 2.5H10l-4.2 3.6c-.5.4-1.3.1-1.3-.6V16A2.5 2.5 0 0 1 4 13.5z";
const CLOSE = "M6.4 5 5 6.4 10.6 12 5 17.6 6.4 19l5.6-5.6 5.6 5.6 1.4-1.4-5.6-5.6L19 6.4 17.6 5 12 10.6z";
const DOWN = "M6.4 8.6 5 10l7 7 7-7-1.4-1.4-5.6 5.6z";
const SEND = "M3.4 20.4 21 12 3.4 3.6v6.4l12.6 2-12.6 2z";

function safeUrl(url) { // http(s) only: a catalog url must not be able to run script
  try {
    const resolved = new URL(url, SERVER + "/");
    return /^https?:$/.test(resolved.protocol) ? resolved.href : null;
  } catch { return null; }
}
function money(amount, currency) {
  try {
    return new Intl.NumberFormat(document.documentElement.lang || "en-US", { style: "currency", currency }).format(amount);
  } catch { return `${Number(amount).toFixed(2)} ${currency}`; }
}

const CSS = `
:host{all:initial}
*{box-sizing:border-box}
.root{--accent:var(--aisle-accent,#1f5fbf);--muted:#5d6675;--line:#e3e6eb;--soft:#f1f3f7;font:15px/1.45 system-ui,sans-serif;color:#1d2330}
button,textarea{font:inherit;color:inherit;cursor:pointer}
button:disabled{cursor:not-allowed;opacity:.55}
:focus-visible{outline:2px solid var(--accent);outline-offset:2px}
svg{width:22px;height:22px;fill:currentColor;display:block}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
.bubble{position:fixed;right:20px;bottom:20px;width:56px;height:56px;border-radius:50%;border:0;background:var(--accent);color:#fff;display:grid;place-items:center;box-shadow:0 6px 20px #1018283f}
.bubble svg{width:28px;height:28px}
.panel{position:fixed;right:20px;bottom:88px;width:380px;height:min(620px,calc(100vh - 110px));display:flex;flex-direction:column;background:#fbfcfd;border-radius:16px;overflow:hidden;box-shadow:0 12px 40px #10182847;border:1px solid var(--line)}
.panel[hidden]{display:none}
header{display:flex;align-items:center;gap:10px;padding:14px 12px 14px 18px;background:var(--accent);color:#fff}
header div{flex:1}
h2{margin:0;font-size:16px}
.status{font-size:12.5px;opacity:.9}
.x{border:0;background:none;width:36px;height:36px;border-radius:8px;display:grid;place-items:center}
.x:hover{background:#ffffff29}
header :focus-visible{outline-color:#fff}
.log{flex:1;overflow-y:auto;padding:16px 14px 8px;display:flex;flex-direction:column;gap:10px}
.msg{display:flex;flex-direction:column;max-width:86%;align-self:flex-start}
.msg[data-role=shopper]{align-self:flex-end;align-items:flex-end}
.who{font-size:12px;font-weight:600;color:#186a3b;margin:0 0 3px 4px}
.text{padding:9px 13px;border-radius:14px 14px 14px 4px;background:var(--soft);white-space:pre-wrap;overflow-wrap:anywhere}
[data-role=shopper] .text{background:var(--accent);color:#fff;border-radius:14px 14px 4px 14px}
[data-role=staff] .text{background:#e7f5ec;border:1px solid #bfe3cc}
.failed .text{opacity:.6}
.src{font-size:12px;color:var(--muted);margin:4px 4px 0}
.note{align-self:center;text-align:center;font-size:13px;color:var(--muted);margin:0;padding:0 12px}
.typing{display:flex;gap:4px;padding:6px 0}
.typing i{width:7px;height:7px;border-radius:50%;background:#9aa3b1;animation:b 1.2s infinite both}
.typing i+i{animation-delay:.2s}.typing i+i+i{animation-delay:.4s}
@keyframes b{0%,80%,100%{opacity:.25}40%{opacity:1}}
@media (prefers-reduced-motion:reduce){i{animation:none!important}}
.cards{display:flex;flex-direction:column;gap:8px;margin-top:8px;width:100%}
.card{display:flex;gap:10px;align-items:center;background:#fff;border:1px solid var(--line);border-radius:12px;padding:8px}
.card .why{font-size:12px;color:var(--muted,#667085)}
.card img{width:56px;height:56px;object-fit:contain;border-radius:8px;flex:none}
.card div{flex:1;min-width:0}
.title{font-weight:600;font-size:14px;overflow-wrap:anywhere}
.meta{font-size:13px;color:var(--muted)}
.meta b{color:#1d2330}
.in{color:#186a3b}.out{color:#b42318}
.card a{font-size:13px;font-weight:600;color:var(--accent);text-decoration:none;padding:6px 10px;border:1px solid var(--line);border-radius:8px}
a:hover,.chip:hover{background:var(--soft)}
.chips{display:flex;flex-wrap:wrap;gap:6px;padding:0 14px 8px}
.chip{border:1px solid var(--accent);color:var(--accent);background:#fff;border-radius:99px;padding:5px 11px;font-size:13px}
.error{margin:0 14px 8px;padding:8px 10px;border-radius:8px;background:#fdecea;color:#8a1c12;font-size:13px}
.chips:empty,.error:empty{display:none}
form{display:flex;gap:8px;align-items:flex-end;padding:10px 12px 6px;border-top:1px solid var(--line);background:#fff}
textarea{flex:1;resize:none;border:1px solid #cfd4dc;border-radius:10px;padding:9px 11px;max-height:120px;cursor:text}
textarea:focus{outline:none;border-color:var(--accent);box-shadow:0 0 0 3px #1f5fbf33}
.send{width:40px;height:40px;border:0;border-radius:10px;background:var(--accent);color:#fff;display:grid;place-items:center}
footer{text-align:center;padding:0 12px 8px;background:#fff}
.handoff{border:0;background:none;color:var(--accent);font-weight:600;font-size:13px;padding:4px 6px}
.handoff:hover:enabled{text-decoration:underline}
@media (max-width:479px){.panel{inset:0;width:100%;height:100%;border-radius:0;border:0}.open .bubble{display:none}}`;

// --- state ---
let conversationId = store.get(CONVERSATION_KEY);
let mode = "bot";   // bot, handoff (waiting for a person) or human
let busy = false;   // a chat turn, hand-off or restore is running
let epoch = 0;      // bumped by every turn, so a poll answer from before it is dropped
let restoring = null;
let timer = null;
const shown = new Set(); // ids of the messages on screen

// --- the DOM ---
const host = document.createElement("aisle-widget");
host.setAttribute("style", "all:initial;position:fixed;z-index:2147483000;right:0;bottom:0");
const shadow = host.attachShadow({ mode: "open" });
const bubble = h("button", { class: "bubble", "data-aisle": "bubble", "aria-controls": "p",
  "aria-expanded": "false", onclick: () => (isOpen() ? close() : open()) });
const status = h("span", { class: "status", id: "s" });
const log = h("div", { class: "log", "data-aisle": "messages", role: "log", "aria-label": "Conversation" });
const chips = h("div", { class: "chips", role: "group", "aria-label": "Suggested questions" });
const errorBox = h("div", { class: "error", role: "alert" });
const input = h("textarea", { id: "i", "data-aisle": "input", rows: "1", maxlength: MAX_CHARS, placeholder: "Type your question\u2026" });
const sendButton = h("button", { class: "send", "data-aisle": "send", "aria-label": "Send message" }, icon(SEND));
const handoffButton = h("button", { class: "handoff", "data-aisle": "handoff", onclick: () => { input.focus(); handoff(); } });
const panel = h("section", { class: "panel", id: "p", "data-aisle": "panel", role: "dialog", "aria-labelledby": "t",
  "aria-describedby": "s", hidden: true, onkeydown: (e) => { if (e.key === "Escape") close(); } },
h("header", {}, h("div", {}, h("h2", { id: "t", text: TITLE }), status),
  h("button", { class: "x", "aria-label": "Close chat", onclick: () => close() }, icon(CLOSE))),
log, chips, errorBox,
h("form", { onsubmit: (e) => { e.preventDefault(); send(input.value); } },
  h("label", { class: "sr", for: "i", text: "Your message" }), input, sendButton),
h("footer", {}, handoffButton));
const root = h("div", { class: "root" }, panel, bubble);
shadow.append(h("style", { text: CSS }), root);

input.addEventListener("keydown", (e) => {
  if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); send(input.value); }
});
input.addEventListener("input", fit);
function fit() { input.style.height = "auto"; input.style.height = Math.min(input.scrollHeight + 2, 120) + "px"; }

// --- rendering ---
function scrollDown(force) {
  if (force || log.scrollHeight - log.scrollTop - log.clientHeight < 80) {
    requestAnimationFrame(() => { log.scrollTop = log.scrollHeight; });
  }
}

function setBusy(value) {
  busy = value;
  sendButton.disabled = value;
  for (const chip of chips.children) chip.disabled = value;
  setMode(mode);
}

function setMode(next) {
  mode = next || "bot";
  status.textContent = mode === "human" ? "You're chatting with our support team"
    : mode === "handoff" ? "Waiting for a member of our team\u2026" : "Shop assistant";
  handoffButton.disabled = busy || mode !== "bot";
  handoffButton.textContent = mode === "bot" ? "Talk to a person" : mode === "human" ? "Our team is here" : "Our team has been asked to join";
  handoffButton.setAttribute("aria-label", handoffButton.textContent);
}

const showError = (text) => { errorBox.textContent = text || ""; };

function note(text) {
  const el = h("p", { class: "note", "data-aisle": "note", text });
  log.append(el);
  scrollDown(true);
  return el;
}

function card(p) {
  const src = p.image_url && safeUrl(p.image_url);
  const img = src && h("img", { src, alt: "", loading: "lazy", referrerpolicy: "no-referrer", onerror: () => img.remove() });
  const href = p.url && safeUrl(p.url);
  return h("div", { class: "card", role: "listitem", "data-aisle": "card", "data-product-id": p.id }, img,
    h("div", {}, h("div", { class: "title", text: p.title }),
      h("div", { class: "meta" }, h("b", { text: money(p.price, p.currency) }), " \u00b7 ",
        h("span", { class: p.in_stock ? "in" : "out", text: p.in_stock ? "In stock" : "Out of stock" })),
      p.reason && h("div", { class: "why", "data-aisle": "reason", text: p.reason })),
    href && h("a", { href, "aria-label": "View " + p.title, text: "View" }));
}

function messageEl(role, text) {
  return h("div", { class: "msg", "data-aisle": "message", "data-role": role },
    h("span", { class: role === "staff" ? "who" : "sr", text: role === "staff" ? "Support team" : role === "shopper" ? "You" : "Assistant" }),
    h("div", { class: "text", text }));
}

function fill(el, message) {
  el.dataset.id = message.id;
  shown.add(message.id);
  el.querySelector(".text").textContent = message.text;
  if (message.products.length) el.append(h("div", { class: "cards", role: "list", "aria-label": "Products" }, ...message.products.map(card)));
  const sources = new Set(message.citations.filter((c) => c.kind === "policy" || c.kind === "order").map((c) => c.label));
  if (sources.size) el.append(h("div", { class: "src", text: "Source: " + [...sources].join(", ") }));
}

// Adds the server's messages not on screen yet. The chat stream doesn't return the id of the
// shopper's own message, so one shown while pending is matched by its text.
function merge(list) {
  for (const message of list) {
    if (shown.has(message.id)) continue;
    const pending = message.role === "shopper" && [...log.querySelectorAll("[data-role=shopper]:not([data-id])")]
      .find((el) => el.querySelector(".text").textContent === message.text);
    if (pending) {
      pending.dataset.id = message.id;
      pending.classList.remove("failed");
      shown.add(message.id);
    } else {
      const el = messageEl(message.role);
      fill(el, message);
      log.append(el);
      scrollDown(message.role === "shopper");
    }
  }
}

function setChips(list) {
  chips.replaceChildren(...list.map((text) =>
    h("button", { class: "chip", "data-aisle": "follow-up", disabled: busy, text, onclick: () => { input.focus(); send(text); } })));
}

function greet() {
  if (log.childElementCount) return;
  note("Hi! Ask me about our products, your order, shipping or returns.");
  setChips(["Show me wireless earbuds", "What is your return policy?", "Where is my order?"]);
}

function forget() {
  conversationId = null;
  store.remove(CONVERSATION_KEY);
  shown.clear();
  log.replaceChildren();
  setMode("bot");
  greet();
}

// --- conversation ---
async function restore() {
  if (!conversationId) return greet();
  setBusy(true);
  const loading = note("Loading your conversation\u2026");
  try {
    const conversation = await getConversation();
    loading.remove();
    merge(conversation.messages);
    setMode(conversation.mode);
    greet();
    scrollDown(true);
  } catch (err) {
    loading.remove();
    if (err.status === 404 || err.status === 401) forget();
    else { greet(); showError(err.status ? err.message : "We couldn't load your conversation."); }
  } finally {
    setBusy(false);
  }
}

async function poll() { // staff replies arrive this way
  if (!conversationId || busy || document.hidden) return;
  const before = epoch;
  try {
    const conversation = await getConversation();
    if (before !== epoch || busy) return; // a turn started meanwhile: its own events win
    merge(conversation.messages);
    setMode(conversation.mode);
  } catch (err) {
    if (before === epoch && !busy && (err.status === 404 || err.status === 401)) forget();
  }
}

async function send(raw) {
  const text = String(raw ?? "").trim();
  if (!text) return;
  open({ focus: false });
  await restoring;
  if (busy) return;
  if (text.length > MAX_CHARS) return showError(`Please keep your message under ${MAX_CHARS} characters.`);
  epoch++;
  setBusy(true);
  showError("");
  setChips([]);
  if (input.value.trim() === text) { input.value = ""; fit(); }

  const mine = messageEl("shopper", text);
  const answer = messageEl("assistant");
  const answerText = answer.querySelector(".text");
  answer.setAttribute("aria-busy", "true");
  answerText.append(h("span", { class: "typing", role: "img", "aria-label": "The assistant is typing" }, h("i"), h("i"), h("i")));
  log.append(mine, answer);
  scrollDown(true);

  let streamed = null; // the Text node tokens are appended to
  let stored = false;  // the server has the message: a failure from then on must not offer to resend it
  let finished = false;
  const fail = (detail) => {
    if (streamed) answer.removeAttribute("aria-busy"); else answer.remove();
    showError(detail);
  };
  try {
    let response;
    try {
      response = await request("POST", "/api/chat", { message: text, conversation_id: conversationId });
    } catch (err) {
      if (err.status !== 404 || !conversationId) throw err;
      conversationId = null; // the old conversation is gone: start a new one
      store.remove(CONVERSATION_KEY);
      response = await request("POST", "/api/chat", { message: text, conversation_id: null });
    }
    stored = true;
    for await (const event of readEvents(response.body)) {
      let data;
      try { data = JSON.parse(event.data); } catch { continue; }
      if (event.type === "conversation") {
        conversationId = data.conversation_id;
        store.set(CONVERSATION_KEY, conversationId);
      } else if (event.type === "token") {
        if (!streamed) answerText.replaceChildren(streamed = document.createTextNode(""));
        streamed.appendData(data.text);
        scrollDown();
      } else if (event.type === "final") {
        finished = true;
        answer.removeAttribute("aria-busy");
        if (data.message && !shown.has(data.message.id)) fill(answer, data.message); // replaced or not: the stored text
        else if (!streamed) answer.remove();
        if (!data.message) note("A member of our team will reply here.");
        if (data.handoff) setMode("handoff");
        setChips(data.follow_ups || []);
        scrollDown();
      } else if (event.type === "error") {
        finished = true;
        fail(data.detail || "The answer failed; please try again.");
      }
    }
    if (!finished) fail("The connection was interrupted before the answer finished. Please try again.");
  } catch (err) {
    if (!stored) {
      mine.classList.add("failed");
      if (!input.value.trim()) { input.value = text; fit(); }
    }
    fail(err.status ? err.message : "We couldn't reach the shop assistant. Check your connection and try again.");
  } finally {
    epoch++;
    setBusy(false);
  }
}

async function handoff() {
  if (busy || mode !== "bot") return;
  let gone = !conversationId;
  if (!gone) {
    epoch++;
    setBusy(true);
    showError("");
    try {
      const message = await (await request("POST", `/api/conversations/${encodeURIComponent(conversationId)}/handoff`)).json();
      merge([message]);
      setChips([]);
      mode = "handoff";
    } catch (err) {
      if (err.status === 404) gone = true;
      else showError(err.status ? err.message : "We couldn't reach our team. Please try again.");
    } finally {
      epoch++;
      setBusy(false);
    }
  }
  if (gone) {
    if (conversationId) forget();
    await send("I want to talk to a person");
  }
}

// --- open / close ---
const isOpen = () => !panel.hidden;
function setBubble(opened) {
  bubble.setAttribute("aria-expanded", String(opened));
  bubble.setAttribute("aria-label", opened ? "Close chat" : "Open chat: " + TITLE);
  bubble.replaceChildren(icon(opened ? DOWN : CHAT));
}
function open(options) {
  if (!isOpen()) {
    panel.hidden = false;
    root.classList.add("open");
    setBubble(true);
    restoring = restoring || restore();
    timer = setInterval(poll, 3000);
    scrollDown(true);
  }
  if (!options || options.focus !== false) input.focus();
}
function close() {
  if (!isOpen()) return;
  const hadFocus = shadow.activeElement != null;
  panel.hidden = true;
  root.classList.remove("open");
  setBubble(false);
  clearInterval(timer);
  if (hadFocus) bubble.focus();
}

setBubble(false);
setMode("bot");
window.Aisle = { version: "1", open: () => open(), close: () => close(), send: (text) => send(text) };
function mount() {
  document.body.append(host);
  if (START_OPEN) open({ focus: false });
}
if (document.body) mount();
else document.addEventListener("DOMContentLoaded", mount, { once: true });
})();
