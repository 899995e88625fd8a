// volmatch, the volunteer's pages: sign in with an SMS code, answer invitations, see what is coming
// and what was served, read messages, keep the profile. Everything goes through the JSON API.
// The session token lives in localStorage (it lasts on this device until signing out).
"use strict";

const T = JSON.parse(document.getElementById("vm-text").textContent);
const $ = (selector) => document.querySelector(selector);
const state = { me: null, phone: null, proof: null, weekDirty: false };
const PERIODS = [["morning", "08:00", "12:00"], ["afternoon", "12:00", "18:00"], ["evening", "18:00", "22:00"]];
const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

function token() { return localStorage.getItem("vm_v_token"); }

async function api(method, path, body) {
  const headers = { "Accept-Language": document.body.dataset.lang };  // the server answers in the page's language
  if (token()) headers.Authorization = `Bearer ${token()}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(`/api/v1${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const type = response.headers.get("Content-Type") || "";
  const data = type.includes("json") ? await response.json() : null;
  return { ok: response.ok, status: response.status, data };
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "text") node.textContent = value; else node.setAttribute(key, value);
  }
  for (const child of children) if (child) node.append(child);
  return node;
}

function flash(message, isError = false) {
  const box = $("#flash");
  box.textContent = isError ? T.error + message : message;
  box.classList.toggle("error", isError);
  box.hidden = false;
}

function showErrors(form, errors) {
  form.querySelectorAll("[data-error]").forEach((node) => { node.textContent = ""; });
  form.querySelectorAll(".invalid").forEach((node) => node.classList.remove("invalid"));
  let shown = false;
  for (const [field, messages] of Object.entries(errors || {})) {
    const slot = form.querySelector(`[data-error="${field}"]`) || form.querySelector('[data-error="_schema"]');
    const text = Array.isArray(messages) ? messages.join("; ") : JSON.stringify(messages);
    if (slot) { slot.textContent = text; shown = true; }
    const input = form.querySelector(`[name="${field}"]`);
    if (input) input.classList.add("invalid");
  }
  return shown;
}

function failed(answer, form) {
  const errors = answer.data && answer.data.errors;
  if (!(form && errors && showErrors(form, errors))) flash((answer.data && answer.data.message) || `HTTP ${answer.status}`, true);
}

function words(text) { return text.split(/[,，、;；]/).map((s) => s.trim()).filter(Boolean); }

// "2099-01-10T09:00:00+08:00" -> "1月10日 周六 09:00–12:00" (the API speaks Asia/Shanghai local time)
function when(starts, ends) {
  const [year, month, date] = starts.slice(0, 10).split("-").map(Number);
  const day = T.days[(new Date(Date.UTC(year, month - 1, date)).getUTCDay() + 6) % 7];
  const clock = (iso) => iso.slice(11, 16);
  const head = document.body.dataset.lang === "zh" ? `${month}月${date}日 ${T.day_prefix}${day}` : `${day} ${starts.slice(0, 10)}`;
  const sameDay = starts.slice(0, 10) === ends.slice(0, 10);
  return `${head} ${clock(starts)}–${sameDay ? clock(ends) : ends.slice(5, 10) + " " + clock(ends)}`;
}

// A direction without a map: distance and compass point from home to the task.
function fromHome(task) {
  const home = state.me && state.me.location;
  if (!home || !task.location) return "";
  const rad = Math.PI / 180, [la1, lo1, la2, lo2] = [home.lat * rad, home.lon * rad, task.location.lat * rad, task.location.lon * rad];
  const a = Math.sin((la2 - la1) / 2) ** 2 + Math.cos(la1) * Math.cos(la2) * Math.sin((lo2 - lo1) / 2) ** 2;
  const km = 2 * 6371 * Math.asin(Math.sqrt(a));
  const y = Math.sin(lo2 - lo1) * Math.cos(la2), x = Math.cos(la1) * Math.sin(la2) - Math.sin(la1) * Math.cos(la2) * Math.cos(lo2 - lo1);
  const bearing = (Math.atan2(y, x) / rad + 360) % 360;
  return T.from_home.replace("{km}", km.toFixed(1)).replace("{dir}", T.dirs[Math.round(bearing / 45) % 8]);
}

function taskCard(task, ...extra) {
  return el("li", { class: "card" },
    el("h3", { text: task.title }),
    el("p", { text: `${T.when}：${when(task.starts_at, task.ends_at)}` }),
    el("p", { text: `${T.where}：${task.address || task.station_name || ""}` }),
    fromHome(task) ? el("p", { class: "muted", text: fromHome(task) }) : null,
    ...extra);
}

// ---------------------------------------------------------------- one-tap invitation link

async function showLink(link) {
  show("view-link");
  const answer = await api("GET", `/invitation-links/${encodeURIComponent(link)}`);
  const card = $("#link-card");
  card.replaceChildren();
  if (!answer.ok) {
    card.append(el("p", { class: "error", text: answer.data ? answer.data.message : `HTTP ${answer.status}` }));
    $("#link-accept").hidden = $("#link-decline").hidden = true;
    return;
  }
  const inv = answer.data;
  card.append(el("h3", { text: inv.title }), el("p", { text: `${T.station}：${inv.station}` }),
    el("p", { text: `${T.when}：${when(inv.starts_at, inv.ends_at)}` }), el("p", { text: `${T.where}：${inv.address || ""}` }));
  for (const [button, status] of [["#link-accept", "accepted"], ["#link-decline", "declined"]]) {
    $(button).onclick = async () => {
      const done = await api("POST", `/invitation-links/${encodeURIComponent(link)}`, { status });
      if (!done.ok) { failed(done); return; }
      $("#link-accept").hidden = $("#link-decline").hidden = true;
      flash(status === "accepted" ? T.link_done_accepted : T.link_done_declined);
    };
  }
}

// ---------------------------------------------------------------- sign in / sign up

async function askCode(event) {
  event.preventDefault();
  const form = event.target;
  const answer = await api("POST", "/sign-in/codes", { phone: form.phone.value.trim() });
  if (!answer.ok) { failed(answer, form); return; }
  showErrors(form, {});
  state.phone = form.phone.value.trim();
  $("#session-form").hidden = false;
  $("#code").focus();
  flash(T.code_sent);
}

async function checkCode(event) {
  event.preventDefault();
  const form = event.target;
  const answer = await api("POST", "/sign-in/sessions", { phone: state.phone, code: form.code.value.trim() });
  if (!answer.ok) { failed(answer, form); return; }
  showErrors(form, {});
  if (answer.data.registered) {
    await signedIn(answer.data.token, answer.data.volunteer_id);
  } else {
    state.proof = answer.data.proof;
    $("#code-form").hidden = $("#session-form").hidden = true;
    $("#signup-form").hidden = false;
  }
}

async function signUp(event) {
  event.preventDefault();
  const form = event.target;
  const body = { proof: state.proof, name: form.name.value.trim(), skills: words(form.skills.value),
                 language: document.body.dataset.lang };
  if (form.address.value.trim()) body.address = form.address.value.trim();
  const answer = await api("POST", "/sign-in/sign-up", body);
  if (!answer.ok) { failed(answer, form); return; }
  await signedIn(answer.data.token, answer.data.id);
}

async function signedIn(newToken, volunteerId) {
  localStorage.setItem("vm_v_token", newToken);
  localStorage.setItem("vm_v_id", String(volunteerId));
  $("#flash").hidden = true;
  location.hash = "#/invitations";
  await route();
}

async function signOut() {
  await api("DELETE", "/sign-in/sessions");
  localStorage.removeItem("vm_v_token");
  localStorage.removeItem("vm_v_id");
  state.me = null;
  location.hash = "";
  await route();
  flash(T.signed_out);
}

// ---------------------------------------------------------------- my pages

// Only the latest render of each list may draw: an older answer arriving later must not overwrite it.
const renders = {};
function latestRender(kind) {
  const turn = (renders[kind] || 0) + 1;
  renders[kind] = turn;
  return () => renders[kind] === turn;
}

async function loadMe() {
  const id = localStorage.getItem("vm_v_id");
  if (!token() || !id) return null;
  const answer = await api("GET", `/volunteers/${id}`);
  if (!answer.ok) { localStorage.removeItem("vm_v_token"); return null; }
  state.me = answer.data;
  return state.me;
}

async function answerInvitation(assignment, status) {
  const answer = await api("PATCH", `/assignments/${assignment.id}`, { status });
  if (!answer.ok) { failed(answer); return; }
  flash(status === "accepted" ? T.accepted : T.declined);
  await showInvitations();
}

async function showInvitations() {
  const current = latestRender("showInvitations");
  const answer = await api("GET", `/volunteers/${state.me.id}/assignments?status=invited`);
  if (!current()) return;
  const list = $("#invitation-list");
  list.replaceChildren();
  if (!answer.ok) { failed(answer); return; }
  for (const assignment of answer.data) {
    const accept = el("button", { type: "button", class: "primary", text: T.accept });
    const decline = el("button", { type: "button", text: T.decline });
    accept.onclick = () => answerInvitation(assignment, "accepted");
    decline.onclick = () => answerInvitation(assignment, "declined");
    list.append(taskCard(assignment.task, el("div", { class: "actions" }, accept, decline)));
  }
  if (!answer.data.length) list.append(el("li", { class: "empty", text: T.no_invitations }));
}

async function showUpcoming() {
  const current = latestRender("showUpcoming");
  const answer = await api("GET", `/volunteers/${state.me.id}/assignments?status=accepted`);
  if (!current()) return;
  const list = $("#upcoming-list");
  list.replaceChildren();
  if (!answer.ok) { failed(answer); return; }
  const now = new Date();
  const coming = answer.data.filter((a) => new Date(a.task.ends_at) > now).reverse();
  for (const assignment of coming) list.append(taskCard(assignment.task));
  if (!coming.length) list.append(el("li", { class: "empty", text: T.no_upcoming }));
}

async function showHistory() {
  const current = latestRender("showHistory");
  const answer = await api("GET", `/volunteers/${state.me.id}/service-records`);
  if (!current()) return;
  const list = $("#record-list");
  list.replaceChildren();
  if (!answer.ok) { failed(answer); return; }
  const { records, totals } = answer.data;
  $("#totals").textContent = `${T.total_verified}: ${totals.verified} ${T.hours}` +
    (totals.pending ? ` · ${T.total_pending}: ${totals.pending} ${T.hours}` : "");
  for (const record of records.slice().reverse()) {
    const status = record.status === "confirmed" ? T.verified : T[record.status] || record.status;
    const stars = record.rating ? ` · ${T.rating} ${"★".repeat(record.rating)}` : "";
    list.append(el("li", { class: "card" }, el("h3", { text: record.task_title }),
      el("p", { text: `${record.served_at.slice(0, 10)} · ${record.station_name} · ${record.hours} ${T.hours} · ${status}${stars}` })));
  }
  if (!records.length) list.append(el("li", { class: "empty", text: T.no_records }));
}

async function downloadCertificate() {
  const lang = document.body.dataset.lang;
  const response = await fetch(`/api/v1/volunteers/${state.me.id}/certificate?lang=${lang}`,
                               { headers: { Authorization: `Bearer ${token()}` } });
  if (!response.ok) { flash(`HTTP ${response.status}`, true); return; }
  const url = URL.createObjectURL(await response.blob());
  const link = el("a", { href: url, download: `certificate-${state.me.volunteer_number || state.me.id}.pdf` });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

async function showInbox() {
  const current = latestRender("showInbox");
  const answer = await api("GET", `/volunteers/${state.me.id}/notifications`);
  if (!current()) return;
  const list = $("#message-list");
  list.replaceChildren();
  if (!answer.ok) { failed(answer); return; }
  for (const message of answer.data) {
    list.append(el("li", { class: "card" }, el("h3", { text: message.title }), el("p", { text: message.text }),
      el("p", { class: "muted", text: message.at.slice(0, 16).replace("T", " ") })));
  }
  if (!answer.data.length) list.append(el("li", { class: "empty", text: T.no_messages }));
}

function covers(slots, day, start, end) {
  return slots.some((s) => s.day === day && s.start <= start && s.end >= end);
}

function buildWeek() {
  const head = $("#week thead tr");
  head.replaceChildren(el("th"));
  for (const [name] of PERIODS) head.append(el("th", { text: T[name] }));
  const body = $("#week tbody");
  body.replaceChildren();
  DAYS.forEach((day, i) => {
    const row = el("tr", {}, el("th", { text: `${T.day_prefix}${T.days[i]}` }));
    for (const [name, start, end] of PERIODS) {
      const box = el("input", { type: "checkbox", "data-day": day, "data-start": start, "data-end": end,
                                "aria-label": `${T.days[i]} ${T[name]}`, id: `slot-${day}-${name}` });
      box.checked = covers(state.me.availability || [], day, start, end);
      box.onchange = () => { state.weekDirty = true; };
      row.append(el("td", {}, box));
    }
    body.append(row);
  });
}

function weekSlots() {
  const slots = [];
  for (const day of DAYS) {
    let open = null;
    for (const box of document.querySelectorAll(`#week input[data-day="${day}"]`)) {
      if (box.checked && open && open.end === box.dataset.start) { open.end = box.dataset.end; continue; }
      if (box.checked) { open = { day, start: box.dataset.start, end: box.dataset.end }; slots.push(open); } else { open = null; }
    }
  }
  return slots;
}

function showProfile() {
  const form = $("#profile-form"), me = state.me;
  form.name.value = me.name || "";
  form.skills.value = (me.skills || []).join("，");
  form.certificates.value = (me.certificates || []).join("，");
  form.languages.value = (me.languages || []).join("，");
  form.address.value = me.address || "";
  form.max_distance_km.value = me.max_distance_km;
  form.email.value = me.email || "";
  form.language.value = me.language || "zh";
  form.quiet_hours.value = me.quiet_hours || "";
  $("#channel-sms").checked = !(me.channels_off || []).includes("sms");
  $("#channel-email").checked = !(me.channels_off || []).includes("email");
  state.weekDirty = false;
  buildWeek();
}

function useMyLocation() {
  if (!navigator.geolocation) { flash(T.no_location, true); return; }
  navigator.geolocation.getCurrentPosition((position) => {
    state.point = { lat: Number(position.coords.latitude.toFixed(6)), lon: Number(position.coords.longitude.toFixed(6)) };
    $("#point").textContent = T.point_set;
  }, () => flash(T.no_location, true), { enableHighAccuracy: false, timeout: 10000 });
}

async function saveProfile(event) {
  event.preventDefault();
  const form = event.target;
  const body = { name: form.name.value.trim(), skills: words(form.skills.value), certificates: words(form.certificates.value),
                 languages: words(form.languages.value), max_distance_km: Number(form.max_distance_km.value),
                 email: form.email.value.trim() || null, language: form.language.value,
                 quiet_hours: form.quiet_hours.value || null,
                 channels_off: [...($("#channel-sms").checked ? [] : ["sms"]), ...($("#channel-email").checked ? [] : ["email"])] };
  if (state.point) body.location = state.point;  // a point from the phone wins over the address typed
  else if (form.address.value.trim() && form.address.value.trim() !== (state.me.address || "")) body.address = form.address.value.trim();
  if (state.weekDirty) body.availability = weekSlots();  // slots the grid cannot show are kept unless the grid changed
  const answer = await api("PATCH", `/volunteers/${state.me.id}`, body);
  if (!answer.ok) { failed(answer, form); return; }
  showErrors(form, {});
  state.me = answer.data;
  state.point = null;
  $("#point").textContent = "";
  showProfile();
  flash(T.saved);
}

// ---------------------------------------------------------------- routing

const VIEWS = ["view-link", "view-signin", "view-invitations", "view-upcoming", "view-history", "view-inbox", "view-profile"];
const TABS = { invitations: showInvitations, upcoming: showUpcoming, history: showHistory, inbox: showInbox, profile: showProfile };

function show(id) { for (const view of VIEWS) $(`#${view}`).hidden = view !== id; }

async function route() {
  const link = document.body.dataset.link;
  if (link && !location.hash) { $("#tabs").hidden = true; await showLink(link); return; }
  const me = state.me || await loadMe();
  $("#sign-out").hidden = !me;
  $("#tabs").hidden = !me;
  if (!me) {
    show("view-signin");
    $("#code-form").hidden = false;
    $("#session-form").hidden = $("#signup-form").hidden = true;
    return;
  }
  const tab = (location.hash.match(/^#\/(\w+)/) || [])[1];
  const name = TABS[tab] ? tab : "invitations";
  document.querySelectorAll("#tabs a").forEach((a) => a.classList.toggle("current", a.dataset.tab === name));
  show(`view-${name}`);
  await TABS[name]();
}

document.addEventListener("DOMContentLoaded", () => {
  $("#code-form").addEventListener("submit", askCode);
  $("#session-form").addEventListener("submit", checkCode);
  $("#signup-form").addEventListener("submit", signUp);
  $("#profile-form").addEventListener("submit", saveProfile);
  $("#sign-out").addEventListener("click", signOut);
  $("#certificate").addEventListener("click", downloadCertificate);
  $("#use-location").addEventListener("click", useMyLocation);
  $("#link-home").addEventListener("click", (event) => { event.preventDefault(); location.href = "/v#/upcoming"; });
  window.addEventListener("hashchange", route);
  route();
});
