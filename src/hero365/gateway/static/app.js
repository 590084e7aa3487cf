// Hero365 Voice web page: sign in with a token, type commands (send-command), or hold the button to talk
// (microphone PCM over a WebSocket to a server-side agent session; its speech comes back and plays here).
"use strict";

const API = "/api/v1/voice-agents";
const $ = (id) => document.getElementById(id);
const state = { token: "", textSession: null, ws: null, voiceSession: null, held: false, lastChannel: "text",
                mic: null, playback: null, nextPlay: 0, sources: [], outRate: 22050, liveItem: null };

function show(kind, text) {
  const li = document.createElement("li");
  li.className = kind;
  li.textContent = text;
  $("log").appendChild(li);
  li.scrollIntoView({ block: "nearest" });
  return li;
}

function status(text) { $("status").textContent = text; }

function showTool(call) {
  const args = typeof call.arguments === "string" ? call.arguments : JSON.stringify(call.arguments);
  const li = show("tool", `→ ${call.name}(${args})` + (call.proposed ? " · waiting for your yes" : "")
    + (call.error ? ` · ${call.error}` : ""));
  if (call.proposed) li.classList.add("proposed");
  if (call.error) li.classList.add("error");
}

function showPending(pending) {
  $("pending").hidden = !pending;
  $("pending-summary").textContent = pending ? pending.summary : "";
}

async function api(path, body) {
  const res = await fetch(path, {
    method: body === undefined ? "GET" : "POST",
    headers: { "Authorization": `Bearer ${state.token}`, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(data.message || `HTTP ${res.status}`);
  return data;
}

async function signIn(token) {
  state.token = token.trim();
  if (!state.token) return;
  try {
    await api(`${API}/sessions?limit=1`);
  } catch (err) {
    $("who").textContent = `not signed in: ${err.message}`;
    return;
  }
  sessionStorage.setItem("hero365.token", state.token);
  const claims = JSON.parse(atob(state.token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/")));
  $("who").textContent = `signed in (user ${claims.sub}${claims.business_id ? `, business ${claims.business_id}` : ""})`;
  for (const id of ["text", "send", "talk"]) $(id).disabled = false;
  status("Hold the button and speak, or type below.");
}

async function sendText(text) {
  show("user", text);
  state.lastChannel = "text";
  try {
    const out = await api(`${API}/personal/send-command`, { text, session_id: state.textSession || undefined });
    state.textSession = out.session_id;
    for (const call of out.tool_calls) showTool(call);
    if (out.reply) show("assistant", out.reply);
    showPending(out.pending);
  } catch (err) {
    show("error", err.message);
  }
}

// ---- voice: the socket, the microphone, and playback ----

async function connectVoice() {
  if (state.ws && state.ws.readyState <= 1) return state.ws;
  status("Connecting…");
  const start = await api(`${API}/personal/start-session`, {});
  if (start.mode !== "websocket") throw new Error("This server uses a LiveKit room for voice; use a LiveKit client.");
  state.voiceSession = start.session_id;
  const ws = new WebSocket(`${start.ws_url}&token=${encodeURIComponent(state.token)}`);
  ws.binaryType = "arraybuffer";
  state.ws = ws;
  await new Promise((resolve, reject) => {
    ws.onmessage = (ev) => { onVoiceMessage(ev); };
    ws.onclose = (ev) => {
      status(ev.reason ? `Voice closed: ${ev.reason}` : "Voice disconnected.");
      state.ws = null;
      reject(new Error(ev.reason || "closed"));
    };
    const ready = (ev) => {
      if (typeof ev.data === "string" && JSON.parse(ev.data).type === "ready") {
        ws.removeEventListener("message", ready);
        resolve();
      }
    };
    ws.addEventListener("message", ready);
  });
  return ws;
}

function onVoiceMessage(ev) {
  if (typeof ev.data !== "string") { play(new Int16Array(ev.data)); return; }
  const msg = JSON.parse(ev.data);
  switch (msg.type) {
    case "ready": status(msg.speech_input ? "Listening while you hold the button." : "Connected (no speech input)."); break;
    case "transcript":
      $("live").textContent = msg.final ? "" : msg.text;
      if (msg.final && msg.text) show("user", msg.text).classList.add("spoken");
      break;
    case "message": if (msg.role === "assistant") show("assistant", msg.text); break;
    case "tool": showTool(msg); break;
    case "pending": showPending(msg.pending); state.lastChannel = "voice"; break;
    case "state": if (msg.agent) status(`Agent ${msg.agent}.`); break;
    case "audio_start": state.outRate = msg.sample_rate; break;
    case "audio_clear": stopPlayback(); break;
    case "error": show("error", msg.message); break;
    default: break;
  }
}

function play(pcm) {
  if (!state.playback) state.playback = new AudioContext();
  const ctx = state.playback;
  const buf = ctx.createBuffer(1, pcm.length, state.outRate);
  const data = buf.getChannelData(0);
  for (let i = 0; i < pcm.length; i++) data[i] = pcm[i] / 32768;
  const src = ctx.createBufferSource();
  src.buffer = buf;
  src.connect(ctx.destination);
  state.nextPlay = Math.max(state.nextPlay, ctx.currentTime + 0.05);
  src.start(state.nextPlay);
  state.nextPlay += buf.duration;
  state.sources.push(src);
  src.onended = () => { state.sources = state.sources.filter((s) => s !== src); };
}

function stopPlayback() {
  for (const s of state.sources) { try { s.stop(); } catch (e) { /* already stopped */ } }
  state.sources = [];
  state.nextPlay = 0;
}

async function startMic() {
  if (state.mic) return state.mic;
  const stream = await navigator.mediaDevices.getUserMedia({
    audio: { channelCount: 1, echoCancellation: true, noiseSuppression: true, autoGainControl: true },
  });
  const ctx = new AudioContext({ sampleRate: 16000 });
  await ctx.audioWorklet.addModule("/static/pcm-worklet.js");
  const node = new AudioWorkletNode(ctx, "pcm-capture");
  ctx.createMediaStreamSource(stream).connect(node);
  node.port.onmessage = (ev) => {
    if (!state.held || !state.ws || state.ws.readyState !== 1) return;
    state.ws.send(toInt16(ev.data, ctx.sampleRate).buffer);
  };
  state.mic = { stream, ctx, node };
  return state.mic;
}

function toInt16(float32, rate) {
  // 16 kHz int16: the capture context already runs at 16 kHz where the browser allows; else decimate.
  const step = rate / 16000;
  const n = Math.floor(float32.length / step);
  const out = new Int16Array(n);
  for (let i = 0; i < n; i++) {
    const v = float32[Math.floor(i * step)];
    out[i] = Math.max(-32768, Math.min(32767, Math.round(v * 32767)));
  }
  return out;
}

async function pressTalk(ev) {
  ev.preventDefault();
  if (state.held) return;
  state.held = true;
  $("talk").classList.add("held");
  $("talk").setAttribute("aria-pressed", "true");
  stopPlayback();
  try {
    await Promise.all([connectVoice(), startMic()]);
    if (state.playback) state.playback.resume();
    if (state.mic) state.mic.ctx.resume();
    if (state.held) {
      state.ws.send(JSON.stringify({ type: "ptt", down: true }));
      status("Listening…");
    }
  } catch (err) {
    show("error", `Voice: ${err.message}`);
    releaseTalk();
  }
}

function releaseTalk() {
  if (!state.held) return;
  state.held = false;
  $("talk").classList.remove("held");
  $("talk").setAttribute("aria-pressed", "false");
  if (state.ws && state.ws.readyState === 1) state.ws.send(JSON.stringify({ type: "ptt", down: false }));
}

function answer(word) {
  if (state.lastChannel === "voice" && state.ws && state.ws.readyState === 1) {
    show("user", word);
    state.ws.send(JSON.stringify({ type: "text", text: word }));
  } else {
    sendText(word);
  }
}

window.addEventListener("DOMContentLoaded", () => {
  const params = new URLSearchParams(location.search);
  const fromUrl = params.get("token");
  if (fromUrl) history.replaceState(null, "", location.pathname);  // keep the token out of history and referrers
  const token = fromUrl || sessionStorage.getItem("hero365.token") || "";
  $("token").value = token;
  $("signin-form").addEventListener("submit", (ev) => { ev.preventDefault(); signIn($("token").value); });
  $("text-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const text = $("text").value.trim();
    if (text) { $("text").value = ""; sendText(text); }
  });
  const talk = $("talk");
  talk.addEventListener("pointerdown", pressTalk);
  talk.addEventListener("pointerup", releaseTalk);
  talk.addEventListener("pointerleave", releaseTalk);
  talk.addEventListener("keydown", (ev) => { if (ev.code === "Space" && !ev.repeat) pressTalk(ev); });
  talk.addEventListener("keyup", (ev) => { if (ev.code === "Space") releaseTalk(); });
  $("yes").addEventListener("click", () => answer("yes"));
  $("no").addEventListener("click", () => answer("no"));
  if (token) signIn(token);
});
