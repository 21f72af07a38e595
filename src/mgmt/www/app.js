// The status page: reads the management API with the token kept in this
// browser, refreshes every 2 s, sorts the sessions table, disconnects.
"use strict";

const state = { token: localStorage.getItem("p2sgw-token") || "", sortKey: "vpnUserName",
                sortDir: 1, sessions: [], timer: null };
const $ = (sel) => document.querySelector(sel);

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (cls) e.className = cls;
  return e;
}

async function api(path, body) {
  const opts = { headers: { Authorization: "Bearer " + state.token } };
  if (body !== undefined) {
    opts.method = "POST";
    opts.headers["Content-Type"] = "application/json";
    opts.body = JSON.stringify(body);
  }
  const r = await fetch(path, opts);
  if (r.status === 401) throw Object.assign(new Error("the token was refused"), { auth: true });
  const j = await r.json();
  if (!r.ok) throw new Error(j.error || ("HTTP " + r.status));
  return j;
}

function bytes(n) {
  const u = ["B", "KB", "MB", "GB", "TB"];
  let i = 0;
  while (n >= 1000 && i < u.length - 1) { n /= 1000; i++; }
  return (i ? n.toFixed(1) : n) + " " + u[i];
}

function bits(n) {
  const u = ["bit/s", "kbit/s", "Mbit/s", "Gbit/s"];
  let i = 0;
  while (n >= 1000 && i < u.length - 1) { n /= 1000; i++; }
  return (i ? n.toFixed(1) : Math.round(n)) + " " + u[i];
}

function duration(s) {
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
  return h ? `${h} h ${m} min` : m ? `${m} min ${s % 60} s` : `${s} s`;
}

function sortSessions(list) {
  const k = state.sortKey, d = state.sortDir;
  return list.slice().sort((a, b) => {
    const x = a[k], y = b[k];
    if (typeof x === "number" && typeof y === "number") return (x - y) * d;
    return String(x).localeCompare(String(y)) * d;
  });
}

function renderSessions() {
  const body = $("#sessions tbody");
  body.replaceChildren();
  for (const s of sortSessions(state.sessions)) {
    const tr = el("tr");
    tr.dataset.id = s.vpnConnectionId;
    tr.title = s.vpnConnectionId;
    const cells = [s.vpnUserName, s.protocol, s.authenticationType, s.group || "—",
                   s.publicIpAddress, s.privateIpAddress];
    for (const c of cells) tr.append(el("td", c));
    tr.append(el("td", duration(s.vpnConnectionDuration), "num"));
    tr.append(el("td", bytes(s.ingressBytesTransferred), "num in-bytes"));
    tr.append(el("td", bytes(s.egressBytesTransferred), "num out-bytes"));
    tr.append(el("td", bits(s.maxBandwidth), "num"));
    tr.append(el("td", s.cipher || "—"));
    const td = el("td");
    const b = el("button", "Disconnect", "disconnect");
    b.dataset.id = s.vpnConnectionId;
    b.addEventListener("click", () => disconnect(s));
    td.append(b);
    tr.append(td);
    body.append(tr);
  }
  $("#session-count").textContent = `(${state.sessions.length})`;
  $("#no-sessions").hidden = state.sessions.length > 0;
  for (const th of document.querySelectorAll("#sessions th[data-key]")) {
    th.classList.toggle("sorted-asc", th.dataset.key === state.sortKey && state.sortDir > 0);
    th.classList.toggle("sorted-desc", th.dataset.key === state.sortKey && state.sortDir < 0);
  }
}

async function disconnect(s) {
  if (!confirm(`Disconnect ${s.vpnUserName} (${s.protocol}, ${s.publicIpAddress})?`)) return;
  try {
    await api("/api/v1/sessions/disconnect", { id: s.vpnConnectionId });
    $("#action-result").textContent = `Disconnected ${s.vpnUserName} (${s.vpnConnectionId}).`;
  } catch (e) {
    $("#action-result").textContent = `Could not disconnect ${s.vpnUserName}: ${e.message}`;
  }
  refresh();
}

function renderGateway(g) {
  $("#gw-name").textContent = g.name;
  const c = g.connections;
  $("#gw-summary").textContent =
    `${g.sku} · ${g.gatewayFqdn} · OpenVPN ${c.OpenVPN}, IKEv2 ${c.IKEv2}, SSTP ${c.SSTP} ` +
    `(limits: IKEv2+OpenVPN ${g.connectionLimits.IkeV2AndOpenVPN}, SSTP ${g.connectionLimits.SSTP})` +
    (g.pointToSiteConfigured ? "" : " · point-to-site configuration removed");
  const pools = $("#pools");
  pools.replaceChildren();
  for (const p of g.pools) {
    const d = el("div", undefined, "pool");
    const pct = p.size ? Math.round((100 * p.used) / p.size) : 0;
    d.append(el("div", `${p.name}: ${p.used} of ${p.size} addresses in use (${p.free} free)`));
    const bar = el("div", undefined, pct >= 90 ? "bar high" : "bar");
    const fill = el("div");
    fill.style.width = pct + "%";
    bar.append(fill);
    d.append(bar);
    pools.append(d);
  }
}

function renderRefusals(r) {
  const body = $("#refusals tbody");
  body.replaceChildren();
  for (const f of r.recent.slice(0, 15)) {
    const tr = el("tr");
    for (const c of [f.time.replace("T", " ").replace("Z", ""), f.protocol, f.user || "—", f.reason])
      tr.append(el("td", c));
    body.append(tr);
  }
  $("#refusal-count").textContent = `(${r.total} since start)`;
  $("#no-refusals").hidden = r.recent.length > 0;
}

// One chart: series of [values], drawn as lines over the last hour.
function chart(canvas, series, colors, fmt, integer) {
  const ctx = canvas.getContext("2d");
  const W = canvas.width, H = canvas.height, L = 64, B = 22, T = 10, R = 10;
  ctx.clearRect(0, 0, W, H);
  ctx.font = "11px system-ui, sans-serif";
  let max = 1;
  for (const s of series) for (const v of s) max = Math.max(max, v);
  if (integer) max = Math.max(4, Math.ceil(max / 4) * 4); // whole numbers on every grid line
  ctx.strokeStyle = "#dde3ea";
  ctx.fillStyle = "#66727f";
  for (let i = 0; i <= 4; i++) {
    const y = T + ((H - T - B) * i) / 4;
    ctx.beginPath(); ctx.moveTo(L, y); ctx.lineTo(W - R, y); ctx.stroke();
    ctx.fillText(fmt((max * (4 - i)) / 4), 4, y + 4);
  }
  ctx.fillText("-60 min", L, H - 6);
  ctx.fillText("now", W - R - 22, H - 6);
  const n = 61;
  let drawn = 0;
  series.forEach((s, k) => {
    ctx.strokeStyle = colors[k];
    ctx.lineWidth = 2;
    ctx.beginPath();
    s.forEach((v, i) => {
      const x = L + ((W - L - R) * (n - s.length + i)) / (n - 1);
      const y = H - B - ((H - T - B) * v) / max;
      if (i === 0) ctx.moveTo(x, y); else ctx.lineTo(x, y);
      ctx.fillStyle = colors[k];
      ctx.fillRect(x - 1.5, y - 1.5, 3, 3);
      drawn++;
    });
    ctx.stroke();
  });
  canvas.dataset.points = String(drawn);
}

function renderHistory(h) {
  const mins = h.minutes.concat([h.current]);
  const secs = (m) => (m.seconds !== undefined ? Math.max(m.seconds, 1) : 60);
  chart($("#chart-conn"), [mins.map((m) => m.connections)], ["#0b64c0"], (v) => v.toFixed(0), true);
  chart($("#chart-bw"), [mins.map((m) => (m.bytesIn * 8) / secs(m)),
                         mins.map((m) => (m.bytesOut * 8) / secs(m))],
        ["#0b64c0", "#d9731a"], bits);
}

function showLogin(msg) {
  clearTimeout(state.timer);
  $("#login").hidden = false;
  $("#main").hidden = true;
  $("#logout").hidden = true;
  $("#login-error").textContent = msg || "";
  $("#gw-summary").textContent = "";
}

async function refresh() {
  clearTimeout(state.timer);
  try {
    const [g, s, r, h] = await Promise.all([api("/api/v1/gateway"), api("/api/v1/sessions"),
                                            api("/api/v1/refusals"), api("/api/v1/history")]);
    $("#login").hidden = true;
    $("#main").hidden = false;
    $("#logout").hidden = false;
    renderGateway(g);
    state.sessions = s;
    renderSessions();
    renderRefusals(r);
    renderHistory(h);
  } catch (e) {
    if (e.auth) return showLogin("The gateway refused this token: check it and paste it again.");
    $("#gw-summary").textContent = "cannot reach the gateway: " + e.message;
  }
  state.timer = setTimeout(refresh, 2000);
}

$("#login-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  state.token = $("#token").value.trim();
  localStorage.setItem("p2sgw-token", state.token);
  refresh();
});
$("#logout").addEventListener("click", () => {
  localStorage.removeItem("p2sgw-token");
  state.token = "";
  showLogin();
});
for (const th of document.querySelectorAll("#sessions th[data-key]")) {
  th.addEventListener("click", () => {
    if (state.sortKey === th.dataset.key) state.sortDir = -state.sortDir;
    else { state.sortKey = th.dataset.key; state.sortDir = 1; }
    renderSessions();
  });
}
if (state.token) refresh(); else showLogin();
