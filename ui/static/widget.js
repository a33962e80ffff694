/* Aisle chat widget: <script src="https://aisle.example/widget.js" data-token="…" defer></script>
 * data-server (default: this script's origin), data-token (signed-in shopper), data-title, data-open="true";
 * or window.AisleConfig = {server, token, title, open}. Accent: aisle-widget { --aisle-accent: #c40 }.
 * API: window.Aisle.open(), .close(), .send(text). Renders in a Shadow DOM; server text only via textContent. */
(() => {
  "use strict";
  if (window.Aisle && window.Aisle.version) return; // included twice

  const script = document.currentScript;
  const config = window.AisleConfig || {};
  const attr = (name) => (script && script.getAttribute("data-" + name)) || null;
  const scriptOrigin = script && script.src ? new URL(script.src, location.href).origin : location.origin;
  const SERVER = String(attr("server") || config.server || scriptOrigin).replace(/\/+$/, "");
  const TOKEN = attr("token") || config.token || null;
  const TITLE = attr("title") || config.title || "Ask us";
  const START_OPEN = (attr("open") || String(config.open || "")) === "true";
  const MAX_CHARS = 2000;
  const POLL_MS = 3000;

  // localStorage may be unavailable (private mode, sandboxed frames): fall back to memory
  const memory = {};
  const store = {
    get(k) { try { return localStorage.getItem(k); } catch { return memory[k] || null; } },
    set(k, v) { try { localStorage.setItem(k, v); } catch { memory[k] = v; } },
    remove(k) { try { localStorage.removeItem(k); } catch { delete memory[k]; } },
  };
  const SESSION_KEY = "aisle.session";
  const CONVERSATION_KEY = "aisle.conversation";

  function sessionId() {
    let id = store.get(SESSION_KEY);
    if (!id || !/^[A-Za-z0-9_-]{16,128}$/.test(id)) {
      const bytes = crypto.getRandomValues(new Uint8Array(18));
      id = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
      store.set(SESSION_KEY, id);
    }
    return id;
  }

  function headers(json) {
    const h = { "X-Aisle-Session": sessionId(), Accept: json ? "application/json" : "text/event-stream" };
    if (TOKEN) h.Authorization = "Bearer " + TOKEN;
    return h;
  }

  async function errorOf(response) {
    let detail = "";
    try {
      const body = await response.json();
      detail = typeof body.detail === "string" ? body.detail
        : Array.isArray(body.detail) ? body.detail.map((d) => d.msg || "").join("; ") : "";
    } catch { /* not JSON */ }
    return Object.assign(new Error(detail || `The assistant answered with an error (${response.status}).`), { status: response.status });
  }

  async function api(method, path, body) {
    const init = { method, headers: headers(true), credentials: "omit" };
    if (body !== undefined) { init.headers["Content-Type"] = "application/json"; init.body = JSON.stringify(body); }
    const response = await fetch(SERVER + path, init);
    if (!response.ok) throw await errorOf(response);
    return response.json();
  }

  // Server-sent events from a fetch() body: "event:" / "data:" lines, a blank line ends one.
  async function* readEvents(body) {
    const reader = body.getReader();
    const decoder = new TextDecoder();
    let buffer = "", type = "", data = [];
    try {
      for (;;) {
        const { value, done } = await reader.read();
        buffer += done ? decoder.decode() : decoder.decode(value, { stream: true });
        let end;
        while ((end = buffer.indexOf("\n")) >= 0 || (done && buffer)) {
          if (end < 0) end = buffer.length;
          const line = buffer.slice(0, end).replace(/\r$/, "");
          buffer = buffer.slice(end + 1);
          if (line === "") {
            if (data.length) yield { type: type || "message", data: data.join("\n") };
            type = ""; data = [];
          } else if (line[0] !== ":") {
            const colon = line.indexOf(":");
            const field = colon < 0 ? line : line.slice(0, colon);
            const val = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
            if (field === "event") type = val;
            else if (field === "data") data.push(val);
          }
        }
        if (done) break;
      }
      if (data.length) yield { type: type || "message", data: data.join("\n") };
    } finally {
      reader.cancel().catch(() => {});
    }
  }

  // --- DOM helpers: every piece of server text goes in through textContent ---
  function h(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : value);
    }
    for (const child of children) if (child !== null && child !== undefined) node.append(child);
    return node;
  }
  const SVG = "http://www.w3.org/2000/svg";
  function icon(d) {
    const svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    const path = document.createElementNS(SVG, "path");
    path.setAttribute("d", d);
    svg.append(path);
    return svg;
  }
  const ICON_CHAT = "M4 5.5A2.5 2.5 0 0 1 6.5 3h11A2.5 2.5 0 0 1 20 5.5v8a2.5 2.5 0 0 1-2.5 2.5H10l-4.2 3.6c-.5.4-1.3.1-1.3-.6V16A2.5 2.5 0 0 1 4 13.5z";
  const ICON_CLOSE = "M6.4 5 5 6.4 10.6 12 5 17.6 6.4 19l5.6-5.6 5.6 5.6 1.4-1.4-5.6-5.6L19 6.4 17.6 5 12 10.6z";
  const ICON_DOWN = "M6.4 8.6 5 10l7 7 7-7-1.4-1.4-5.6 5.6z";
  const ICON_SEND = "M3.4 20.4 21 12 3.4 3.6 3.4 10l12.6 2-12.6 2z";

  function safeUrl(url) {
    if (!url) return null;
    try {
      const resolved = new URL(url, SERVER + "/");
      return resolved.protocol === "https:" || resolved.protocol === "http:" ? resolved.href : null;
    } catch { return null; }
  }

  const locale = document.documentElement.lang || "en-US";
  function money(amount, currency) {
    try {
      return new Intl.NumberFormat(locale, { style: "currency", currency: currency || "USD" }).format(amount);
    } catch {
      return `${Number(amount).toFixed(2)} ${currency || ""}`.trim();
    }
  }

  const CSS = `
:host{all:initial}
*{box-sizing:border-box}
.root{--accent:var(--aisle-accent,#1f5fbf);--ink:#1d2330;--muted:#5d6675;--line:#e3e6eb;--soft:#f3f5f8;
 font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);-webkit-font-smoothing:antialiased}
button,textarea{font:inherit;color:inherit}
button{cursor:pointer}
button:disabled{cursor:not-allowed;opacity:.55}
:focus-visible{outline:2px solid var(--accent);outline-offset:2px}
svg{width:22px;height:22px;fill:currentColor;display:block}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
.bubble{position:fixed;right:20px;bottom:20px;width:56px;height:56px;border-radius:50%;border:0;background:var(--accent);
 color:#fff;display:grid;place-items:center;box-shadow:0 6px 20px rgba(16,24,40,.25);transition:transform .15s}
.bubble:hover{transform:scale(1.06)}
.bubble svg{width:26px;height:26px}
.panel{position:fixed;right:20px;bottom:88px;width:380px;height:min(620px,calc(100vh - 110px));display:flex;flex-direction:column;
 background:#fff;border-radius:16px;overflow:hidden;box-shadow:0 12px 40px rgba(16,24,40,.28);border:1px solid var(--line)}
.panel[hidden]{display:none}
header{display:flex;align-items:center;gap:10px;padding:14px 12px 14px 18px;background:var(--accent);color:#fff}
header div{flex:1;min-width:0}
h2{margin:0;font-size:16px;font-weight:650}
.status{font-size:12.5px;opacity:.88}
.icon{border:0;background:transparent;width:36px;height:36px;border-radius:8px;display:grid;place-items:center;color:inherit}
header .icon:hover{background:rgba(255,255,255,.16)}
header :focus-visible{outline-color:#fff}
.messages{flex:1;overflow-y:auto;padding:16px 14px 8px;display:flex;flex-direction:column;gap:10px;background:#fbfcfd}
.msg{display:flex;flex-direction:column;max-width:86%;align-self:flex-start}
.msg[data-role=shopper]{align-self:flex-end;align-items:flex-end}
.who{font-size:12px;font-weight:600;color:#186a3b;margin:0 0 3px 4px}
.text{padding:9px 13px;border-radius:14px;background:var(--soft);white-space:pre-wrap;overflow-wrap:anywhere;border-bottom-left-radius:4px}
.msg[data-role=shopper] .text{background:var(--accent);color:#fff;border-radius:14px;border-bottom-right-radius:4px}
.msg[data-role=staff] .text{background:#e9f6ee;border:1px solid #bfe3cc}
.failed .text{opacity:.6}
.sources{font-size:12px;color:var(--muted);margin:4px 4px 0}
.note{align-self:center;text-align:center;font-size:13px;color:var(--muted);padding:2px 12px;max-width:90%}
.typing{display:flex;gap:4px;padding:4px 0}
.typing i{width:7px;height:7px;border-radius:50%;background:#9aa3b1;animation:blink 1.2s infinite both}
.typing i:nth-child(2){animation-delay:.2s}.typing i:nth-child(3){animation-delay:.4s}
@keyframes blink{0%,80%,100%{opacity:.25}40%{opacity:1}}
@media (prefers-reduced-motion:reduce){.typing i{animation:none;opacity:.6}.bubble{transition:none}}
.cards{display:flex;flex-direction:column;gap:8px;margin-top:8px;width:100%}
.card{display:flex;gap:10px;align-items:center;background:#fff;border:1px solid var(--line);border-radius:12px;padding:8px}
.card img{width:56px;height:56px;object-fit:contain;border-radius:8px;background:var(--soft);flex:none}
.card div{flex:1;min-width:0}
.title{font-weight:600;font-size:14px;overflow-wrap:anywhere}
.price{font-weight:650}
.meta{font-size:13px;color:var(--muted)}
.in{color:#186a3b}.out{color:#b42318}
.card a{flex:none;font-size:13px;font-weight:600;color:var(--accent);text-decoration:none;padding:6px 10px;border:1px solid var(--line);border-radius:8px}
.card a:hover{background:var(--soft)}
.chips{display:flex;flex-wrap:wrap;gap:6px;padding:0 14px 8px;background:#fbfcfd}
.chips:empty{display:none}
.chip{border:1px solid var(--accent);color:var(--accent);background:#fff;border-radius:999px;padding:5px 11px;font-size:13px}
.chip:hover:not(:disabled){background:var(--accent);color:#fff}
.error{margin:0 14px 8px;padding:8px 10px;border-radius:8px;background:#fdecea;color:#8a1c12;font-size:13px}
.error:empty{display:none}
form{display:flex;gap:8px;align-items:flex-end;padding:10px 12px;border-top:1px solid var(--line)}
textarea{flex:1;resize:none;border:1px solid #cfd4dc;border-radius:10px;padding:9px 11px;max-height:120px;background:#fff;line-height:1.4}
textarea:focus{outline:none;border-color:var(--accent);box-shadow:0 0 0 3px color-mix(in srgb,var(--accent) 20%,transparent)}
.send{width:40px;height:40px;border:0;border-radius:10px;background:var(--accent);color:#fff;display:grid;place-items:center;flex:none}
footer{display:flex;justify-content:center;padding:0 12px 8px}
.handoff{border:0;background:transparent;color:var(--accent);font-weight:600;font-size:13px;padding:4px 6px;border-radius:6px}
.handoff:hover:not(:disabled){text-decoration:underline}
@media (max-width:479px){
 .panel{inset:0;width:100%;height:100%;border-radius:0;border:0}
 .root.open .bubble{display:none}
}`;

  // --- state ---
  let conversationId = store.get(CONVERSATION_KEY);
  let mode = "bot";
  let busy = false;      // a chat turn, hand-off or restore is running
  let epoch = 0;         // bumped by every change, so stale poll answers are dropped
  let restored = false;
  let restoring = null;  // the restore that runs on first open
  let pollTimer = null;
  const shown = new Set(); // message ids on screen

  // --- the DOM ---
  const host = document.createElement("aisle-widget");
  host.setAttribute("style", "all:initial;position:fixed;z-index:2147483000;right:0;bottom:0;width:0;height:0");
  const shadow = host.attachShadow({ mode: "open" });

  const bubble = h("button", {
    class: "bubble", type: "button", "data-aisle": "bubble", "aria-label": "Open chat: " + TITLE,
    "aria-expanded": "false", "aria-controls": "aisle-panel", onclick: () => (isOpen() ? close() : open()),
  }, icon(ICON_CHAT));
  const statusLine = h("span", { class: "status", id: "aisle-status" });
  const closeButton = h("button", { class: "icon", type: "button", "aria-label": "Close chat", onclick: () => close() }, icon(ICON_CLOSE));
  const messages = h("div", { class: "messages", "data-aisle": "messages", role: "log", "aria-live": "polite", "aria-label": "Conversation" });
  const chips = h("div", { class: "chips", role: "group", "aria-label": "Suggested questions" });
  const errorBox = h("div", { class: "error", role: "alert" });
  const input = h("textarea", {
    id: "aisle-input", "data-aisle": "input", rows: "1", maxlength: String(MAX_CHARS),
    placeholder: "Type your question…", autocomplete: "off",
  });
  const sendButton = h("button", { class: "send", type: "submit", "data-aisle": "send", "aria-label": "Send message" }, icon(ICON_SEND));
  const handoffButton = h("button", {
    class: "handoff", type: "button", "data-aisle": "handoff", "aria-label": "Talk to a person from our team",
    onclick: () => requestHandoff(),
  }, "Talk to a person");
  const form = h("form", { onsubmit: (e) => { e.preventDefault(); send(input.value); } },
    h("label", { class: "sr", for: "aisle-input" }, "Your message"), input, sendButton);
  const panel = h("section", {
    class: "panel", id: "aisle-panel", "data-aisle": "panel", role: "dialog", "aria-labelledby": "aisle-title",
    "aria-describedby": "aisle-status", hidden: true,
    onkeydown: (e) => { if (e.key === "Escape") { e.stopPropagation(); close(); } },
  },
  h("header", {}, h("div", {}, h("h2", { id: "aisle-title", text: TITLE }), statusLine), closeButton),
  messages, chips, errorBox, form, h("footer", {}, handoffButton));
  const root = h("div", { class: "root" }, panel, bubble);
  shadow.append(h("style", { text: CSS }), root);

  input.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); send(input.value); }
  });
  input.addEventListener("input", fitInput);
  function fitInput() {
    input.style.height = "auto";
    input.style.height = Math.min(input.scrollHeight + 2, 120) + "px";
  }

  // --- rendering ---
  const nearBottom = () => messages.scrollHeight - messages.scrollTop - messages.clientHeight < 80;
  function scrollDown(force) {
    if (force || nearBottom()) requestAnimationFrame(() => { messages.scrollTop = messages.scrollHeight; });
  }

  function setBusy(value) {
    busy = value;
    sendButton.disabled = value;
    for (const chip of chips.querySelectorAll("button")) chip.disabled = value;
    updateMode(mode);
  }

  function updateMode(next) {
    mode = next || "bot";
    statusLine.textContent = mode === "human" ? "You're chatting with our support team"
      : mode === "handoff" ? "Waiting for a member of our team…" : "Shop assistant · replies instantly";
    handoffButton.disabled = busy || mode !== "bot";
    handoffButton.textContent = mode === "bot" ? "Talk to a person" : "Our team has been asked";
  }

  function showError(text) { errorBox.textContent = text || ""; if (text) scrollDown(true); }

  function note(text) {
    const el = h("p", { class: "note", "data-aisle": "note", text });
    messages.append(el);
    scrollDown(true);
    return el;
  }

  function card(product) {
    const image = safeUrl(product.image_url);
    const img = image ? h("img", { src: image, alt: "", loading: "lazy", referrerpolicy: "no-referrer", width: "56", height: "56" }) : null;
    if (img) img.addEventListener("error", () => img.remove());
    const link = safeUrl(product.url);
    return h("div", { class: "card", "data-aisle": "card", "data-product-id": product.id },
      img,
      h("div", {},
        h("div", { class: "title", text: product.title }),
        h("div", { class: "meta" },
          h("span", { class: "price", text: money(product.price, product.currency) }), " · ",
          h("span", { class: product.in_stock ? "in" : "out", text: product.in_stock ? "In stock" : "Out of stock" }))),
      link ? h("a", { href: link, "aria-label": "View " + product.title, text: "View" }) : null);
  }

  function fillMessage(el, message) {
    el.dataset.id = message.id;
    shown.add(message.id);
    el.querySelector(".text").textContent = message.text;
    el.querySelector(".cards")?.remove();
    el.querySelector(".sources")?.remove();
    if (message.products && message.products.length) {
      el.append(h("div", { class: "cards", role: "list", "aria-label": "Products" },
        ...message.products.map((p) => { const c = card(p); c.setAttribute("role", "listitem"); return c; })));
    }
    const sources = (message.citations || []).filter((c) => c.kind === "policy" || c.kind === "order").map((c) => c.label);
    if (sources.length) el.append(h("div", { class: "sources", text: "Source: " + [...new Set(sources)].join(", ") }));
  }

  function messageEl(role) {
    const who = role === "staff" ? "Support team" : role === "shopper" ? "You" : "Assistant";
    return h("div", { class: "msg", "data-aisle": "message", "data-role": role },
      h("span", { class: role === "staff" ? "who" : "who sr", text: who }),
      h("div", { class: "text" }));
  }

  function appendMessage(message) {
    if (shown.has(message.id)) return;
    const el = messageEl(message.role);
    fillMessage(el, message);
    messages.append(el);
    scrollDown(message.role === "shopper");
  }

  // Merge the server's view: known ids are skipped; a shopper message we showed before it had
  // an id (the chat stream doesn't return it) is matched by its text.
  function merge(list) {
    for (const message of list) {
      if (shown.has(message.id)) continue;
      if (message.role === "shopper") {
        const pending = [...messages.querySelectorAll(".msg[data-role=shopper]:not([data-id])")]
          .find((el) => el.querySelector(".text").textContent.trim() === message.text.trim());
        if (pending) { pending.dataset.id = message.id; pending.classList.remove("failed"); shown.add(message.id); continue; }
      }
      appendMessage(message);
    }
  }

  function setChips(list) {
    chips.replaceChildren(...list.map((text) => h("button", {
      class: "chip", type: "button", "data-aisle": "follow-up", disabled: busy, text, onclick: () => send(text),
    })));
  }

  function forget() {
    conversationId = null;
    store.remove(CONVERSATION_KEY);
    shown.clear();
    messages.replaceChildren();
    updateMode("bot");
    greet();
  }

  function greet() {
    if (messages.childElementCount) return;
    note("Hi! Ask me about our products, your order, shipping or returns.");
    setChips(["Show me wireless earbuds", "What is your return policy?", "Where is my order?"]);
  }

  // --- conversation ---
  async function restore() {
    restored = true;
    if (!conversationId) { greet(); return; }
    setBusy(true);
    const loading = note("Loading your conversation…");
    try {
      const conversation = await api("GET", "/api/conversations/" + encodeURIComponent(conversationId));
      loading.remove();
      merge(conversation.messages);
      updateMode(conversation.mode);
      if (!conversation.messages.length) greet();
      scrollDown(true);
    } catch (err) {
      loading.remove();
      if (err.status === 404 || err.status === 401) forget();
      else { greet(); showError(err.message || "We couldn't load your conversation."); }
    } finally {
      setBusy(false);
    }
  }

  async function poll() {
    if (!conversationId || busy || !restored || document.hidden) return;
    const before = epoch;
    try {
      const conversation = await api("GET", "/api/conversations/" + encodeURIComponent(conversationId));
      if (before !== epoch || busy) return; // a turn started meanwhile: its own events win
      merge(conversation.messages);
      updateMode(conversation.mode);
    } catch (err) {
      if (before === epoch && !busy && (err.status === 404 || err.status === 401)) forget();
    }
  }

  async function send(raw) {
    const text = String(raw ?? "").trim();
    if (!text) return;
    if (!isOpen()) open({ focus: false });
    await restoring;
    if (busy) return;
    if (text.length > MAX_CHARS) { showError(`Please keep your message under ${MAX_CHARS.toLocaleString()} characters.`); return; }
    epoch++;
    setBusy(true);
    showError("");
    setChips([]);
    if (input.value.trim() === text) { input.value = ""; fitInput(); }

    const mine = messageEl("shopper");
    mine.querySelector(".text").textContent = text;
    messages.append(mine);
    const answer = messageEl("assistant");
    const answerText = answer.querySelector(".text");
    answer.setAttribute("aria-busy", "true");
    answerText.append(h("span", { class: "typing", role: "img", "aria-label": "The assistant is typing" }, h("i"), h("i"), h("i")));
    messages.append(answer);
    scrollDown(true);

    let streamed = null; // the Text node tokens are appended to
    let finished = false;
    let started = false; // the server has the message: a later failure must not offer to resend it
    const fail = (detail) => {
      if (!streamed) answer.remove();
      else answer.removeAttribute("aria-busy");
      showError(detail);
    };
    try {
      let response;
      for (let attempt = 0; ; attempt++) {
        response = await fetch(SERVER + "/api/chat", {
          method: "POST", credentials: "omit",
          headers: { ...headers(false), "Content-Type": "application/json" },
          body: JSON.stringify({ message: text, conversation_id: conversationId || null }),
        });
        if (response.ok) { started = true; break; }
        const err = await errorOf(response);
        if (response.status === 404 && conversationId && attempt === 0) { // the old conversation is gone
          conversationId = null;
          store.remove(CONVERSATION_KEY);
          continue;
        }
        throw err;
      }
      for await (const event of readEvents(response.body)) {
        let data;
        try { data = JSON.parse(event.data); } catch { continue; }
        if (event.type === "conversation" && data.conversation_id) {
          conversationId = data.conversation_id;
          store.set(CONVERSATION_KEY, conversationId);
        } else if (event.type === "token" && typeof data.text === "string") {
          if (!streamed) { streamed = document.createTextNode(""); answerText.replaceChildren(streamed); }
          streamed.appendData(data.text);
          scrollDown();
        } else if (event.type === "final") {
          finished = true;
          answer.removeAttribute("aria-busy");
          if (data.message) {
            if (!shown.has(data.message.id)) fillMessage(answer, data.message);
            else answer.remove();
          } else {
            if (!streamed) answer.remove();
            note("A member of our team will reply here.");
          }
          if (data.handoff) updateMode("handoff");
          setChips(Array.isArray(data.follow_ups) ? data.follow_ups : []);
          scrollDown();
        } else if (event.type === "error") {
          finished = true;
          fail(data.detail || "The answer failed; please try again.");
        }
      }
      if (!finished) fail("The connection was interrupted before the answer finished. Please try again.");
    } catch (err) {
      if (!started) {
        mine.classList.add("failed");
        if (!input.value.trim()) { input.value = text; fitInput(); }
      }
      fail(err.status ? err.message : "We couldn't reach the shop assistant. Check your connection and try again.");
    } finally {
      epoch++;
      setBusy(false);
    }
  }

  async function requestHandoff() {
    if (busy || mode !== "bot") return;
    if (!conversationId) return send("I want to talk to a person");
    epoch++;
    setBusy(true);
    showError("");
    let gone = false;
    try {
      const message = await api("POST", "/api/conversations/" + encodeURIComponent(conversationId) + "/handoff");
      appendMessage(message);
      setChips([]);
      mode = "handoff";
    } catch (err) {
      if (err.status === 404) gone = true;
      else showError(err.message || "We couldn't reach our team. Please try again.");
    } finally {
      epoch++;
      setBusy(false);
    }
    if (gone) { forget(); await send("I want to talk to a person"); }
  }

  // --- open / close ---
  const isOpen = () => !panel.hidden;
  function open(options) {
    const focus = !options || options.focus !== false;
    if (!isOpen()) {
      panel.hidden = false;
      root.classList.add("open");
      bubble.setAttribute("aria-expanded", "true");
      bubble.setAttribute("aria-label", "Close chat");
      bubble.replaceChildren(icon(ICON_DOWN));
      if (!restoring) restoring = restore();
      clearInterval(pollTimer);
      pollTimer = setInterval(poll, POLL_MS);
      scrollDown(true);
    }
    if (focus) input.focus();
  }
  function close() {
    if (!isOpen()) return;
    const hadFocus = shadow.activeElement !== null;
    panel.hidden = true;
    root.classList.remove("open");
    bubble.setAttribute("aria-expanded", "false");
    bubble.setAttribute("aria-label", "Open chat: " + TITLE);
    bubble.replaceChildren(icon(ICON_CHAT));
    clearInterval(pollTimer);
    pollTimer = null;
    if (hadFocus) bubble.focus();
  }

  updateMode("bot");
  window.Aisle = {
    version: "1",
    open: () => open(),
    close: () => close(),
    send: (text) => send(text),
  };

  function mount() {
    document.body.append(host);
    if (START_OPEN) open({ focus: false });
  }
  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount, { once: true });
})();
