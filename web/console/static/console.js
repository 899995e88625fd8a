// volmatch console: a few views over the JSON API, switched by the URL's #fragment.
// The token lives in sessionStorage (gone when the tab closes); every call sends it as a bearer token.
"use strict";

const T = JSON.parse(document.getElementById("vm-text").textContent);
const LANG = document.body.dataset.lang;
const FACTORS = ["skill", "distance", "availability", "reliability", "fairness"];
const $ = (selector, root = document) => root.querySelector(selector);
const state = { me: null, stationId: null };

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (value !== null && value !== undefined) node.setAttribute(key, value);
  }
  for (const child of children.flat()) node.append(child instanceof Node ? child : document.createTextNode(String(child ?? "")));
  return node;
}

function token() { return sessionStorage.getItem("vm_token"); }

async function api(method, path, body, { form = false, raw = false } = {}) {
  const headers = { Authorization: `Bearer ${token()}`, "Accept-Language": LANG };  // the server answers in the page's language
  const init = { method, headers };
  if (form) init.body = body;
  else if (body !== undefined) { headers["Content-Type"] = "application/json"; init.body = JSON.stringify(body); }
  const response = await fetch(`/api/v1${path}`, init);
  if (response.status === 401 && path !== "/me") { signOut(T.session_expired); throw new Error("401"); }
  if (raw) return response;
  const data = response.status === 204 ? null : await response.json().catch(() => null);
  return { status: response.status, ok: response.ok, data };
}

// A banner belongs to the view it was raised in (by default the current one): the next navigation clears it.
function flash(text, kind = "info", view = location.hash) {
  const box = $("#flash");
  box.textContent = text;
  box.className = kind;
  box.hidden = !text;
  state.flashFor = view;
}

function showErrors(form, errors) {
  form.querySelectorAll(".error").forEach((box) => { box.textContent = ""; });
  form.querySelectorAll(".invalid").forEach((input) => input.classList.remove("invalid"));
  for (const [field, messages] of Object.entries(errors || {})) {
    const text = Array.isArray(messages) ? messages.join("; ") : typeof messages === "object" ? Object.values(messages).flat().join("; ") : String(messages);
    const box = form.querySelector(`[data-error="${field}"]`) || form.querySelector('[data-error="_schema"]') || form.querySelector('[data-error="_any"]');
    if (box) box.textContent = box.dataset.error === field ? text : `${field}: ${text}`;
    const input = form.querySelector(`[name="${field}"]`);
    if (input) input.classList.add("invalid");
  }
}

const fmtTime = (iso) => new Date(iso).toLocaleString(LANG === "zh" ? "zh-CN" : "en-GB",
  { timeZone: "Asia/Shanghai", month: "short", day: "numeric", weekday: "short", hour: "2-digit", minute: "2-digit" });
const statusText = (status) => T[`st_${status}`] || status;
const listOf = (text) => text.split(/[,，、;；]/).map((s) => s.trim()).filter(Boolean);

// ---------------------------------------------------------------- sign in

async function signIn(event) {
  event.preventDefault();
  const form = event.target;
  sessionStorage.setItem("vm_token", form.token.value.trim());
  const answer = await api("GET", "/me");
  if (!answer.ok || !["coordinator", "admin"].includes(answer.data.role)) {
    sessionStorage.removeItem("vm_token");
    showErrors(form, { token: [answer.ok ? T.not_a_coordinator : T.bad_token] });
    return;
  }
  form.reset();
  location.hash = "#/tasks";
  await route();
}

function signOut(message) {
  sessionStorage.removeItem("vm_token");
  state.me = null;
  location.hash = "";
  flash(message || "", "info", location.hash);
  route();
}

async function allStations() {
  const stations = [];
  for (let page = 1; ; page += 1) {
    const answer = await api("GET", `/stations?page_size=100&page=${page}`);
    if (!answer.ok || !answer.data.length) return stations;
    stations.push(...answer.data);
    if (answer.data.length < 100) return stations;
  }
}

async function loadMe() {
  if (state.me) return state.me;
  const answer = await api("GET", "/me");
  if (!answer.ok) return null;
  state.me = answer.data;
  let stations = state.me.stations;
  if (state.me.role === "admin") stations = await allStations();
  state.me.choices = stations;
  state.stationId = state.stationId || stations[0]?.id;
  $("#who").textContent = `${T[`role_${state.me.role}`] || state.me.role} · ${stations.map((s) => s.name).slice(0, 2).join("、")}`;
  return state.me;
}

// ---------------------------------------------------------------- tasks
// The station's tasks a page at a time (filters: status, dates, past and cancelled ones), each with its
// seats taken of those needed; edit one in the form below, repeat one weekly, cancel one.

const TASK_PAGE_SIZE = 20;
const SHANGHAI = { timeZone: "Asia/Shanghai" };
const LOCALE = LANG === "zh" ? "zh-CN" : "en-GB";
const localYear = (date) => date.toLocaleString("en-GB", { ...SHANGHAI, year: "numeric" });
const plusDays = (day, n) => { const d = new Date(`${day}T00:00:00Z`); d.setUTCDate(d.getUTCDate() + n); return d.toISOString().slice(0, 10); };
const todayHere = () => new Date().toLocaleDateString("en-CA", SHANGHAI);  // YYYY-MM-DD in Asia/Shanghai

// When a task happens: its day (with the year only when it is not this year) and hours; the end's day too
// when it ends on another day. The API's times carry +08:00, so their first 10 characters are the local day.
function fmtWhen(task) {
  const start = new Date(task.starts_at), end = new Date(task.ends_at);
  const year = localYear(start) !== localYear(new Date()) ? { year: "numeric" } : {};
  const day = { ...SHANGHAI, ...year, month: "short", day: "numeric", weekday: "short" };
  const hour = { ...SHANGHAI, hour: "2-digit", minute: "2-digit" };
  const from = `${start.toLocaleDateString(LOCALE, day)} ${start.toLocaleTimeString(LOCALE, hour)}`;
  const sameDay = task.starts_at.slice(0, 10) === task.ends_at.slice(0, 10);
  return `${from} – ${sameDay ? "" : `${end.toLocaleDateString(LOCALE, day)} `}${end.toLocaleTimeString(LOCALE, hour)}`;
}

function taskQuery() {
  const form = $("#task-filters");
  const query = new URLSearchParams({ station_id: state.stationId, page: state.taskPage || 1, page_size: TASK_PAGE_SIZE });
  if (form.status.value) query.append("status", form.status.value);
  query.set("include_past", form.include_past.checked ? "true" : "false");
  if (form.from.value) query.set("from", `${form.from.value}T00:00`);
  if (form.to.value) query.set("to", `${plusDays(form.to.value, 1)}T00:00`);  // the whole of the last day
  return query;
}

async function showTasks() {
  const current = latestRender("tasks");
  const select = $("#station");
  select.replaceChildren(...state.me.choices.map((s) => el("option", { value: s.id, ...(s.id === state.stationId ? { selected: "" } : {}) }, s.name)));
  select.onchange = () => { state.stationId = Number(select.value); state.taskPage = 1; closeRepeat(); showTasks(); };
  const filters = $("#task-filters");
  filters.onsubmit = (event) => { event.preventDefault(); state.taskPage = 1; showTasks(); };
  filters.status.onchange = filters.include_past.onchange = filters.onsubmit;
  $("#task-prev").onclick = () => { state.taskPage = (state.taskPage || 1) - 1; showTasks(); };
  $("#task-next").onclick = () => { state.taskPage = (state.taskPage || 1) + 1; showTasks(); };
  $("#repeat-form").onsubmit = repeatTask;
  $("#repeat-form").weeks.oninput = previewRepeat;
  $("#repeat-close").onclick = closeRepeat;
  $("#task-form-discard").onclick = stopEditing;

  const response = await api("GET", `/tasks?${taskQuery()}`, undefined, { raw: true });
  const data = await response.json().catch(() => null);
  if (!current()) return;
  if (!response.ok) {
    showErrors(filters, data?.errors ? Object.fromEntries(Object.entries(data.errors).map(([k, v]) => [k === "from_" ? "from" : k, v]))
      : { _any: [data?.message || T.failed] });
    return;
  }
  showErrors(filters, {});
  const pages = JSON.parse(response.headers.get("X-Pagination") || "null") || { total: data.length, total_pages: 1, page: 1 };
  if (pages.total_pages && (state.taskPage || 1) > pages.total_pages) { state.taskPage = pages.total_pages; showTasks(); return; }
  const rows = data.map((task) => el("tr", { "data-task": task.id },
    el("td", {}, el("a", { href: `#/task/${task.id}` }, task.title)),
    el("td", {}, fmtWhen(task)),
    el("td", { class: "seats" }, `${task.accepted}/${task.headcount}`, task.invited ? el("small", {}, ` · ${T.n_invited} ${task.invited}`) : ""),
    el("td", { class: `state ${task.status}` }, statusText(task.status)),
    el("td", {},
      ["open", "filled"].includes(task.status) ? el("button", { type: "button", onclick: () => editTask(task) }, T.edit_task) : "",
      el("button", { type: "button", onclick: () => openRepeat(task) }, T.repeat_weekly),
      ["open", "filled"].includes(task.status)
        ? el("button", { type: "button", class: "danger", onclick: () => cancelTask(task) }, T.cancel) : "")));
  $("#task-table tbody").replaceChildren(...rows);
  if (!rows.length) $("#task-table tbody").append(el("tr", {}, el("td", { colspan: 5 }, T.no_tasks)));
  const pager = $("#task-pages");
  pager.hidden = pages.total_pages <= 1;
  pager.querySelector("span").textContent = T.tasks_page.replace("{page}", pages.page || 1)
    .replace("{pages}", pages.total_pages).replace("{total}", pages.total);
  $("#task-prev").disabled = !pages.previous_page;
  $("#task-next").disabled = !pages.next_page;
}

const joinList = (items) => (items || []).join(LANG === "zh" ? "、" : ", ");

// The form posts a new task, or, after "edit", sends the fields that changed.
function taskBody(form) {
  const value = (name) => form.elements[name].value.trim();
  const body = { station_id: state.stationId, title: value("title"), skills: listOf(value("skills")),
    required_skills: listOf(value("required_skills")), starts_at: value("starts_at"), ends_at: value("ends_at"),
    role: value("role") };
  const headcount = value("headcount");
  body.headcount = /^\d+$/.test(headcount) ? Number(headcount) : headcount;
  for (const name of ["target_group", "address"]) if (value(name)) body[name] = value(name);
  for (const name of ["starts_at", "ends_at"]) if (!body[name]) delete body[name];
  return body;
}

function changedFields(task, body) {
  const before = { title: task.title, skills: task.skills, required_skills: task.required_skills, role: task.role,
    starts_at: task.starts_at.slice(0, 16), ends_at: task.ends_at.slice(0, 16), headcount: task.headcount,
    target_group: task.target_group || undefined, address: task.address || undefined };
  const changed = {};
  for (const [name, old] of Object.entries(before)) {
    if (JSON.stringify(body[name]) !== JSON.stringify(old)) changed[name] = body[name] ?? null;
  }
  if (changed.address === null) delete changed.address;  // an emptied place keeps the task where it is
  return changed;
}

async function createTask(event) {
  event.preventDefault();
  const form = event.target;
  const body = taskBody(form);
  const editing = state.editing;
  const answer = editing ? await api("PATCH", `/tasks/${editing.id}`, changedFields(editing, body)) : await api("POST", "/tasks", body);
  if (answer.status === 422 || answer.status === 409) { showErrors(form, answer.data.errors || { _schema: [answer.data.message] }); return; }
  if (!answer.ok) { flash(answer.data?.message || T.failed, "error"); return; }
  if (editing) {
    stopEditing();
    flash(`${T.task_saved}: ${answer.data.title}`);
    showTasks();
    return;
  }
  showErrors(form, {});
  form.reset();
  flash(`${T.created}: ${answer.data.title}`, "info", `#/task/${answer.data.id}`);
  location.hash = `#/task/${answer.data.id}`;
}

function editTask(task) {
  const form = $("#task-form");
  showErrors(form, {});
  state.editing = task;
  const values = { title: task.title, skills: joinList(task.skills), required_skills: joinList(task.required_skills),
    starts_at: task.starts_at.slice(0, 16), ends_at: task.ends_at.slice(0, 16), headcount: task.headcount, role: task.role,
    target_group: task.target_group || "", address: task.address || "" };
  for (const [name, value] of Object.entries(values)) form.elements[name].value = value;
  $("#task-form-title").textContent = `${T.editing_task}: ${task.title}`;
  const submit = form.querySelector("button[type=submit]");
  submit.textContent = submit.dataset.save;
  $("#task-form-discard").hidden = false;
  form.scrollIntoView({ block: "start" });
  form.elements.title.focus();
}

function stopEditing() {
  const form = $("#task-form");
  state.editing = null;
  showErrors(form, {});
  form.reset();
  $("#task-form-title").textContent = T.new_task;
  const submit = form.querySelector("button[type=submit]");
  submit.textContent = submit.dataset.create;
  $("#task-form-discard").hidden = true;
}

async function cancelTask(task) {
  if (!confirm(`${T.confirm_cancel} ${task.title}?`)) return;
  const answer = await api("PATCH", `/tasks/${task.id}`, { status: "cancelled" });
  flash(answer.ok ? `${T.cancelled}: ${task.title}` : answer.data?.message || T.failed, answer.ok ? "info" : "error");
  showTasks();
}

// Repeat weekly: the same weekday and time in each of the next N weeks (from today on, for a task that has passed).
function repeatDates(task, weeks) {
  const first = task.starts_at.slice(0, 10), today = todayHere();
  const dates = [];
  for (let k = 1; dates.length < weeks && k < 60 * 53; k += 1) {
    const day = plusDays(first, 7 * k);
    if (day >= today) dates.push(day);
  }
  return dates;
}

function openRepeat(task) {
  const form = $("#repeat-form");
  state.repeating = task;
  showErrors(form, {});
  $("#repeat-title").textContent = `${task.title} (${fmtWhen(task)})`;
  form.hidden = false;
  previewRepeat();
  form.scrollIntoView({ block: "nearest" });
}

function closeRepeat() {
  state.repeating = null;
  $("#repeat-form").hidden = true;
}

function previewRepeat() {
  const weeks = Number($("#repeat-form").weeks.value);
  const ok = state.repeating && Number.isInteger(weeks) && weeks >= 1 && weeks <= 52;
  $("#repeat-dates").textContent = ok ? joinList(repeatDates(state.repeating, weeks)) : "";
}

async function repeatTask(event) {
  event.preventDefault();
  const form = event.target, task = state.repeating;
  const weeks = Number(form.weeks.value);
  if (!Number.isInteger(weeks) || weeks < 1 || weeks > 52) { form.weeks.classList.add("invalid"); return; }
  const dates = repeatDates(task, weeks);
  const answer = await api("POST", `/tasks/${task.id}/repeat`, { dates });
  if (!answer.ok) {
    const wrong = answer.data?.errors?.dates;  // by the index of each refused date
    const text = wrong && typeof wrong === "object" && !Array.isArray(wrong)
      ? Object.entries(wrong).map(([i, m]) => `${dates[i] ?? i}: ${[].concat(m).join("; ")}`).join(" · ")
      : wrong || answer.data?.message || T.failed;
    showErrors(form, { dates: [text] });
    return;
  }
  closeRepeat();
  flash(`${T.repeated}: ${task.title} × ${answer.data.length}`);
  showTasks();
}

// ---------------------------------------------------------------- one task: candidates, plot, assignments

async function showTask(id) {
  const answer = await api("GET", `/tasks/${id}`);
  if (!answer.ok) {  // the error replaces the view: nothing of the previous task stays on screen
    $("#view-task").hidden = true;
    flash(answer.data?.message || T.failed, "error");
    return;
  }
  const task = answer.data;
  $("#task-heading").textContent = task.title;
  $("#task-meta").textContent = `${fmtWhen(task)} · ${task.district || ""} · ${T.headcount} ${task.headcount} · ${statusText(task.status)}`
    + (task.skills.length ? ` · ${task.skills.join("、")}` : "");
  const closed = ["cancelled", "done", "expired"].includes(task.status);  // history, not recommendations
  $("#task-closed").hidden = !closed;
  $("#task-candidates").hidden = closed;
  await Promise.all([closed ? null : showCandidates(task), showAssignments(task)]);
}

function bar(value, label) {
  const fill = el("span", { class: "fill" });
  fill.style.width = `${Math.round(value * 100)}%`;
  return el("span", { class: "bar", title: `${label} ${value.toFixed(2)}` }, fill);
}

async function showCandidates(task) {
  const current = latestRender("candidates");
  const tbody = $("#candidate-table tbody");
  tbody.replaceChildren(el("tr", {}, el("td", { colspan: 7 }, T.loading)));
  const answer = await api("GET", `/tasks/${task.id}/matches?limit=20&partial=true`);
  if (!current()) return;
  const results = answer.ok ? answer.data.results : [];
  tbody.replaceChildren(...results.map((m, i) => el("tr", { "data-volunteer": m.volunteer_id },
    el("td", {}, i + 1),
    el("td", {}, m.name, el("br"), el("small", {}, m.district || "")),
    el("td", {}, bar(m.score, T.score), ` ${m.score.toFixed(2)}`),
    el("td", { class: "factors" }, FACTORS.map((f) => el("div", {}, el("small", {}, T[`f_${f}`] || f), bar(m.components[f] ?? 0, T[`f_${f}`] || f)))),
    el("td", {}, `${m.distance_km.toFixed(1)} km`),
    el("td", { class: "reasons" }, m.reasons.join(" · ")),
    el("td", {}, ["open"].includes(task.status)
      ? el("button", { type: "button", onclick: (e) => invite(task, m, e.target) }, T.invite) : ""))));
  if (!results.length) tbody.append(el("tr", {}, el("td", { colspan: 7 }, answer.ok ? T.no_candidates : answer.data?.message)));
  // Fewer than asked: how many people each filter removed, so the coordinator knows what to relax.
  const short = answer.ok && answer.data.shortfall, why = $("#candidate-shortfall");
  why.hidden = !short;
  if (short) {
    const removed = SHORTFALL.filter((f) => short[f] > 0).map((f) => `${T[`why_${f}`]} ${short[f]}`);
    why.textContent = `${T.why_title}: ${removed.length ? removed.join(" · ") : T.why_none}`;
  }
  drawPlot(results);
}

const SHORTFALL = ["too_far_for_task", "too_far_for_them", "inactive", "wrong_role", "not_free", "booked",
  "missing_required"];

const ANGLES = { N: -90, NE: -45, E: 0, SE: 45, S: 90, SW: 135, W: 180, NW: -135 };

function drawPlot(results) {
  // The task at the centre; each candidate at its distance, towards its compass point (8 directions
  // only: where someone lives is not shown), spread a little so people in one direction do not overlap.
  const svg = $("#plot");
  const ns = "http://www.w3.org/2000/svg";
  const node = (tag, attrs, text) => {
    const n = document.createElementNS(ns, tag);
    for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, v);
    if (text !== undefined) n.textContent = text;
    return n;
  };
  svg.replaceChildren();
  const far = Math.max(1, ...results.map((m) => m.distance_km));
  const rings = [0.25, 0.5, 1].map((f) => f * far);
  const labels = [];  // drawn after the dots, so no dot covers a distance
  for (const km of rings) {
    svg.append(node("circle", { cx: 0, cy: 0, r: (km / far) * 100, class: "ring" }));
    const r = (km / far) * 100;  // labels between north and north-east (no compass point), clear of the north mark
    labels.push(node("text", { x: (r * 0.383 + 1).toFixed(1), y: (-r * 0.924 - 1).toFixed(1), class: "ring-label" }, `${km.toFixed(1)} km`));
  }
  const seen = {};
  results.forEach((m, i) => {
    const k = seen[m.direction] = (seen[m.direction] || 0) + 1;
    const angle = ((ANGLES[m.direction] ?? 0) + ((k % 2 ? 1 : -1) * Math.floor(k / 2) * 6)) * Math.PI / 180;
    const r = (m.distance_km / far) * 100;
    const dot = node("circle", { cx: (r * Math.cos(angle)).toFixed(1), cy: (r * Math.sin(angle)).toFixed(1), r: 3 + 4 * m.score, class: "candidate" });
    dot.append(node("title", {}, `${i + 1}. ${m.name} · ${m.distance_km.toFixed(1)} km · ${m.score.toFixed(2)}`));
    svg.append(dot);
  });
  svg.append(...labels);
  svg.append(node("rect", { x: -4, y: -4, width: 8, height: 8, class: "task-mark" }));
  svg.append(node("text", { x: 0, y: -104, class: "north" }, T.north));
}

async function invite(task, match, button) {
  button.disabled = true;
  const answer = await api("POST", `/tasks/${task.id}/assignments`, { volunteer_id: match.volunteer_id });
  flash(answer.ok ? `${T.invited}: ${match.name}` : answer.data?.message || T.failed, answer.ok ? "info" : "error");
  showTask(task.id);
}

// How each invitation travelled: one line per channel (state, and why it failed or was not sent).
function deliveryCell(row) {
  if (!row) return "";
  if (!row.deliveries.length) return el("small", {}, T.no_channel);
  return row.deliveries.map((d) => el("div", { class: `delivery ${d.status}`, title: d.error || "" },
    `${T[`ch_${d.channel}`] || d.channel}: ${T[`dl_${d.status}`] || d.status}`, d.error && d.status !== "sent" ? el("small", {}, ` (${d.error})`) : ""));
}

// Renders that wait for the API: only the latest call of each kind may draw (an older answer that
// arrives later, such as the list from before an invitation, must not overwrite a newer one).
const renders = {};
function latestRender(kind) {
  const turn = (renders[kind] || 0) + 1;
  renders[kind] = turn;
  return () => renders[kind] === turn;
}

async function showCallList(task) {
  const current = latestRender("call-list");
  const answer = await api("GET", `/tasks/${task.id}/call-list`);
  if (!current()) return;
  const people = Array.isArray(answer.data) ? answer.data : [];
  $("#call-list ul").replaceChildren(...people.map((p) => el("li", {}, `${p.name} ${p.phone || ""}`)));
  $("#call-list").hidden = !people.length;
}

async function showAssignments(task) {
  const current = latestRender("assignments");
  const [answer, travelled] = await Promise.all([api("GET", `/tasks/${task.id}/assignments?page_size=100`),
                                                 api("GET", `/tasks/${task.id}/deliveries`)]);
  if (!current()) return;
  const byAssignment = new Map((Array.isArray(travelled.data) ? travelled.data : []).map((d) => [d.assignment_id, d]));
  showCallList(task);
  const rows = (Array.isArray(answer.data) ? answer.data : []).map((a) => el("tr", { "data-assignment": a.id },
    el("td", {}, a.name, el("br"), el("small", {}, a.volunteer_number || "")),
    el("td", {}, a.phone || ""),
    el("td", { class: `state ${a.status}` }, statusText(a.status)),
    el("td", {}, deliveryCell(byAssignment.get(a.id))),
    el("td", {}, a.record ? `${a.record.hours} ${T.hours_unit} (${T[`src_${a.record.source}`]}${a.record.status === "pending" ? `, ${T.pending}` : ""})` : ""),
    el("td", {}, actions(task, a))));
  $("#assignment-table tbody").replaceChildren(...rows);
  if (!rows.length) $("#assignment-table tbody").append(el("tr", {}, el("td", { colspan: 6 }, T.no_assignments)));
}

function actions(task, a) {
  const move = (status, label, extra = {}) => el("button", { type: "button", onclick: () => change(task, a, { status, ...extra }) }, label);
  if (a.status === "invited") return [move("accepted", T.mark_accepted), move("declined", T.mark_declined), move("cancelled", T.cancel)];
  if (a.status === "accepted") {
    const hours = el("input", { type: "number", step: "0.5", min: "0.5", name: "hours", size: 4, placeholder: T.hours });
    const done = el("button", { type: "button", onclick: () => change(task, a, { status: "completed", hours: Number(hours.value) }) }, T.complete);
    return [hours, done, move("no_show", T.no_show), move("cancelled", T.cancel)];
  }
  if (a.status === "completed" && a.record && a.record.status === "pending") {
    // Self-reported hours: the station confirms them (they count from then on) or rejects them.
    const review = (status, label) => el("button", { type: "button", onclick: () => reviewHours(task, a, status) }, label);
    return [review("confirmed", T.confirm_hours), review("rejected", T.reject_hours)];
  }
  if (a.status === "completed") {
    const rating = el("select", { name: "rating" }, el("option", { value: "" }, T.rating), [5, 4, 3, 2, 1].map((n) => el("option", { value: n, ...(a.rating === n ? { selected: "" } : {}) }, "★".repeat(n))));
    const comment = el("input", { name: "comment", placeholder: T.comment, value: a.comment || "" });
    const save = el("button", { type: "button", onclick: () => change(task, a, { ...(rating.value ? { rating: Number(rating.value) } : {}), comment: comment.value }) }, T.save_feedback);
    return [rating, comment, save];
  }
  return "";
}

async function reviewHours(task, a, status) {
  const answer = await api("PATCH", `/service-records/${a.record.id}`, { status });
  if (!answer.ok) flash(answer.data?.message || T.failed, "error");
  else flash(`${a.name}: ${status === "confirmed" ? T.hours_confirmed : T.hours_rejected}`);
  showTask(task.id);
}

async function change(task, a, body) {
  const answer = await api("PATCH", `/assignments/${a.id}`, body);
  if (!answer.ok) {
    const errors = answer.data?.errors ? Object.entries(answer.data.errors).map(([k, v]) => `${k}: ${[].concat(v).join("; ")}`).join(" · ") : "";
    flash((answer.data?.message || T.failed) + (errors && answer.status === 422 ? ` (${errors})` : ""), "error");
  } else flash(`${a.name}: ${statusText(answer.data.status)}`);
  showTask(task.id);
}

// ---------------------------------------------------------------- batch plan for a day

function elapsed(box, started) {
  const tick = () => { box.querySelector("span").textContent = `${T.working} ${((Date.now() - started) / 1000).toFixed(1)} s`; };
  tick();
  return setInterval(tick, 100);
}

async function proposePlan(event) {
  event.preventDefault();
  const day = event.target.day.value;
  const next = new Date(`${day}T00:00:00Z`);
  next.setUTCDate(next.getUTCDate() + 1);
  const progress = $("#plan-progress");
  progress.hidden = false;
  $("#plan-result").hidden = true;
  const timer = elapsed(progress, Date.now());
  const answer = await api("POST", `/stations/${state.stationId}/plans`, { from: `${day}T00:00`, to: `${next.toISOString().slice(0, 10)}T00:00` });
  clearInterval(timer);
  progress.hidden = true;
  if (!answer.ok) { flash(answer.data?.errors?.from?.[0] || answer.data?.message || T.failed, "error"); return; }
  const plan = answer.data;
  state.plan = plan;
  $("#plan-totals").textContent = `${T.plan_total} ${plan.total.toFixed(2)} · ${T.greedy_total} ${plan.greedy_total.toFixed(2)} · ${T.seats} ${plan.seats.length}`;
  $("#plan-table tbody").replaceChildren(...plan.seats.map((s) => el("tr", {}, el("td", {}, s.task_title), el("td", {}, s.name), el("td", {}, s.district || ""), el("td", {}, bar(s.score, T.score), ` ${s.score.toFixed(2)}`))));
  $("#plan-unfilled").replaceChildren(...plan.unfilled.map((u) => el("li", {}, `${u.task_title || `${T.task} ${u.task_id}`}: ${T.unfilled} ${u.seats} — ${u.reason}`)));
  // Nothing proposed and nothing left empty: every seat of the day is taken or has an invitation out.
  if (!plan.seats.length && !plan.unfilled.length) $("#plan-unfilled").append(el("li", {}, T.plan_nothing));
  $("#plan-commit").disabled = plan.seats.length === 0;
  $("#plan-result").hidden = false;
}

async function commitPlan() {
  const answer = await api("POST", `/plans/${state.plan.id}/commit`);
  flash(answer.ok ? `${T.committed}: ${answer.data.assignment_ids.length} ${T.invitations}` : answer.data?.message || T.failed,
    answer.ok ? "info" : "error");
  if (answer.ok) $("#plan-commit").disabled = true;
}

// ---------------------------------------------------------------- coverage

const COVERAGE_PAGE = 20;  // rows a page: the table and its chart of the same rows stay a screen or two
const fmtDay = (iso) => new Date(iso).toLocaleDateString(LANG === "zh" ? "zh-CN" : "en-GB",
  { timeZone: "Asia/Shanghai", month: "short", day: "numeric" });

// The filters as the form has them: the table, its chart and the exports share them (the page apart).
function coverageFilters() {
  const form = $("#coverage-form");
  const query = new URLSearchParams();
  for (const name of ["district", "category", "sort"]) if (form[name].value.trim()) query.set(name, form[name].value.trim());
  if (form.from.value) query.set("from", `${form.from.value}T00:00`);
  if (form.to.value) query.set("to", `${form.to.value}T00:00`);
  return query;
}

// The coordinator's own districts first, largest gap first, a page at a time (the form's filters; a new
// search starts again at page 1).
async function showCoverage(event) {
  event?.preventDefault();
  state.coverage = { page: event ? 1 : state.coverage?.page || 1, query: coverageFilters() };
  $("#coverage-prev").onclick = () => { state.coverage.page -= 1; drawCoverage(); };
  $("#coverage-next").onclick = () => { state.coverage.page += 1; drawCoverage(); };
  $("#coverage-csv").onclick = () => exportCoverage("csv");
  $("#coverage-xlsx").onclick = () => exportCoverage("xlsx");
  await drawCoverage();
}

async function drawCoverage() {
  const current = latestRender("coverage");
  const form = $("#coverage-form"), result = $("#coverage-result"), empty = $("#coverage-empty");
  const paged = new URLSearchParams(state.coverage.query);
  paged.set("page", state.coverage.page);
  paged.set("page_size", COVERAGE_PAGE);
  const answer = await api("GET", `/reports/coverage?${paged}`);
  if (!current()) return;
  if (!answer.ok) {  // e.g. a district that matches none: the message (with the nearest names), no table
    result.hidden = true;
    empty.hidden = true;
    showErrors(form, answer.data?.errors || { _any: [answer.data?.message || T.failed] });
    return;
  }
  showErrors(form, {});
  const report = answer.data;
  if (report.total_rows && report.page > report.pages) { state.coverage.page = report.pages; drawCoverage(); return; }
  const names = Object.fromEntries(report.categories.map((c) => [c.id, c[LANG] || c.en]));
  if (form.category.options.length === 1) {
    form.category.append(...report.categories.map((c) => el("option", { value: c.id }, names[c.id])));
  }
  $("#coverage-districts").replaceChildren(...report.districts.map((d) => el("option", { value: d })));
  if (report.district && form.district.value.trim()) form.district.value = report.district;  // 渝中 -> 渝中区
  if (!report.total_rows) {  // nothing to show: say so, rather than an empty table
    result.hidden = true;
    empty.textContent = report.district ? T.coverage_none_in.replace("{district}", report.district) : T.coverage_none;
    empty.hidden = false;
    return;
  }
  empty.hidden = true;
  const own = new Set(report.own_districts);
  const totals = report.totals;
  $("#coverage-summary").textContent = `${fmtDay(report.from)} – ${fmtDay(report.to)} · ${T.people} ${totals.people}`
    + ` · ${T.demand} ${totals.demand} · ${T.gap} ${totals.gap}`;
  $("#coverage-table tbody").replaceChildren(...report.rows.map((r) => el("tr", { class: `${r.gap > 0 ? "gap" : ""} ${own.has(r.district) ? "own" : ""}`.trim() },
    el("td", {}, r.district || "", own.has(r.district) ? el("small", { class: "badge" }, T.own_district) : ""),
    el("td", {}, names[r.category] || r.category),
    el("td", { class: "num" }, r.people), el("td", { class: "num" }, r.demand), el("td", { class: "num" }, r.gap))));
  $("#coverage-pages span").textContent = `${report.page} / ${report.pages} · ${T.coverage_rows.replace("{n}", report.total_rows)}`;
  $("#coverage-prev").disabled = report.page <= 1;
  $("#coverage-next").disabled = report.page >= report.pages;
  $("#coverage-pages").hidden = report.pages <= 1;
  result.hidden = false;
  paged.set("lang", LANG);  // the chart of the same page: a bar under each row's name, beside the table or under it
  paged.set("layout", "narrow");
  const picture = await api("GET", `/reports/coverage.png?${paged}`, undefined, { raw: true });
  const blob = picture.ok ? await picture.blob() : null;
  if (!current()) return;
  const img = $("#coverage-png");
  if (state.coveragePng) URL.revokeObjectURL(state.coveragePng);
  state.coveragePng = blob ? URL.createObjectURL(blob) : null;
  if (blob) img.src = state.coveragePng;
  img.hidden = !blob;
}

// Every row of the report (not just the page) as CSV or Excel, in the order shown.
async function exportCoverage(kind) {
  const query = new URLSearchParams(state.coverage.query);
  query.set("lang", LANG);
  const response = await api("GET", `/reports/coverage.${kind}?${query}`, undefined, { raw: true });
  if (!response.ok) { flash((await response.json().catch(() => null))?.message || T.failed, "error"); return; }
  const name = /filename="([^"]+)"/.exec(response.headers.get("Content-Disposition") || "")?.[1] || `coverage.${kind}`;
  const url = URL.createObjectURL(await response.blob());
  el("a", { href: url, download: name }).click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

// ---------------------------------------------------------------- narrow screens: tables as cards
// On a phone console.css shows each table row as a card, each cell with its column's heading before it.
// Whatever table a view draws, its cells get that heading as data-label here (no view has to know).

function labelCells(table) {
  const headings = [...table.querySelectorAll("thead th")].map((th) => th.textContent.trim());
  for (const row of table.tBodies[0]?.rows || []) {
    let column = 0;
    for (const cell of row.cells) {
      const label = cell.colSpan === 1 ? headings[column] : "";
      if (label && cell.dataset.label !== label) cell.dataset.label = label;
      column += cell.colSpan;
    }
  }
}

new MutationObserver((changes) => {
  new Set(changes.map((change) => change.target.closest?.("table")).filter(Boolean)).forEach(labelCells);
}).observe(document.querySelector("main"), { childList: true, subtree: true });

// ---------------------------------------------------------------- import with progress

async function startImport(event) {
  event.preventDefault();
  const form = event.target;
  const data = new FormData();
  data.append("file", form.file.files[0]);
  data.append("dry_run", form.dry_run.checked ? "true" : "false");
  if (state.stationId) data.append("station_id", String(state.stationId));
  const answer = await api("POST", "/imports", data, { form: true });
  if (!answer.ok) { showErrors(form, answer.data?.errors || { file: [answer.data?.message] }); return; }
  showErrors(form, {});
  const progress = $("#import-progress");
  progress.hidden = false;
  let job = answer.data;
  while (!["done", "failed", "stalled"].includes(job.status)) {
    const share = job.rows_estimated ? Math.min(job.rows_read / job.rows_estimated, 1) : null;
    progress.querySelector(".bar").style.width = share === null ? "100%" : `${Math.round(share * 100)}%`;
    progress.querySelector(".bar").classList.toggle("indeterminate", share === null);
    progress.querySelector("span").textContent = `${T.rows_read} ${job.rows_read}${job.rows_estimated ? ` / ${job.rows_estimated}` : ""}`;
    await new Promise((resolve) => setTimeout(resolve, 400));
    const poll = await api("GET", `/imports/${job.id}`);
    if (!poll.ok) { flash(poll.data?.message || T.failed, "error"); return; }
    job = poll.data;
  }
  progress.querySelector(".bar").style.width = "100%";
  progress.querySelector("span").textContent = `${T.rows_read} ${job.rows_read}`;
  const summary = $("#import-summary");
  summary.replaceChildren(job.status !== "done" ? `${T.failed}: ${job.message || job.status}`
    : `${T.imp_created} ${job.created} · ${T.imp_updated} ${job.updated} · ${T.imp_unchanged} ${job.unchanged} · ${T.imp_rejected} ${job.rejected}`);
  if (job.rejected) summary.append(" ", el("button", { type: "button", onclick: () => downloadReport(job) }, T.download_report));
}

async function downloadReport(job) {
  const response = await api("GET", `/imports/${job.id}/report.csv`, undefined, { raw: true });
  const link = el("a", { href: URL.createObjectURL(await response.blob()), download: `import-${job.id}-report.csv` });
  link.click();
}

// ---- people: search the station's people, a person's profile, invite by hand

const PEOPLE_PAGE = 20;
const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

async function showPeople(personId) {
  state.people = state.people || { page: 1 };
  $("#people-form").onsubmit = (event) => { event.preventDefault(); state.people.page = 1; searchPeople(); };
  $("#people-prev").onclick = () => { state.people.page -= 1; searchPeople(); };
  $("#people-next").onclick = () => { state.people.page += 1; searchPeople(); };
  $("#person-close").onclick = () => { location.hash = "#/people"; };
  $("#invite-form").onsubmit = invitePerson;
  if (!personId) $("#person-panel").hidden = true;
  await Promise.all([searchPeople(), personId ? showPerson(personId) : null]);
}

async function searchPeople() {
  const current = latestRender("people");
  const form = $("#people-form");
  const query = new URLSearchParams({ page: state.people.page, page_size: PEOPLE_PAGE });
  for (const name of ["q", "skill"]) if (form[name].value.trim()) query.set(name, form[name].value.trim());
  const response = await api("GET", `/volunteers?${query}`, undefined, { raw: true });
  const data = await response.json().catch(() => null);
  if (!current()) return;
  if (!response.ok) { showErrors(form, data?.errors || { _any: [data?.message || T.failed] }); return; }
  showErrors(form, {});
  const pages = JSON.parse(response.headers.get("X-Pagination") || "{}");
  const rows = data.map((p) => el("tr", { "data-volunteer": p.id },
    el("td", {}, el("a", { href: `#/people/${p.id}` }, p.name)),
    el("td", {}, p.volunteer_number || ""),
    el("td", { class: "phone" }, p.phone || ""),  // as the API gives it: masked unless the station may call them
    el("td", {}, p.district || ""),
    el("td", {}, p.skills.join("、")),
    el("td", {}, p.active ? T.yes : T.no)));
  $("#people-table tbody").replaceChildren(...rows);
  if (!rows.length) $("#people-table tbody").append(el("tr", {}, el("td", { colspan: 6 }, T.no_people)));
  $("#people-pages span").textContent = `${T.people_found.replace("{n}", pages.total ?? 0)} · ${pages.page || 1} / ${pages.total_pages || 1}`;
  $("#people-prev").disabled = !pages.previous_page;
  $("#people-next").disabled = !pages.next_page;
}

// Weekly slots, day by day, days alike run together: 周一至周五 18:00–21:00、周六 09:00–12:00.
function freeTime(slots) {
  const byDay = DAYS.map((d) => slots.filter((s) => s.day === d).sort((a, b) => a.start.localeCompare(b.start))
    .map((s) => `${s.start}–${s.end}`).join(" "));
  const parts = [];
  for (let i = 0; i < DAYS.length; i += 1) {
    if (!byDay[i]) continue;
    let j = i;
    while (j + 1 < DAYS.length && byDay[j + 1] === byDay[i]) j += 1;
    parts.push(`${T[`day_${DAYS[i]}`]}${j > i ? `${T.through}${T[`day_${DAYS[j]}`]}` : ""} ${byDay[i]}`);
    i = j;
  }
  return parts.join("、") || T.not_given;
}

function stationName(id) {
  return state.me.choices.find((s) => s.id === id)?.name || `#${id}`;
}

async function showPerson(id) {
  const current = latestRender("person");
  const panel = $("#person-panel");
  const [person, history, imports, asked, tasks] = await Promise.all([
    api("GET", `/volunteers/${id}`), api("GET", `/volunteers/${id}/service-records`),
    api("GET", `/volunteers/${id}/imports?page_size=50`), api("GET", `/volunteers/${id}/assignments?page_size=50`),
    api("GET", `/tasks?status=open&include_past=false&page_size=100${state.me.role === "admin" ? `&station_id=${state.stationId}` : ""}`)]);
  if (!current()) return;
  if (!person.ok) { panel.hidden = true; flash(person.data?.message || T.failed, "error"); return; }
  const p = person.data;
  state.person = p;
  $("#person-heading").textContent = `${p.name} · ${p.volunteer_number || ""}`;
  const records = history.ok ? history.data.records.filter((r) => r.status !== "rejected") : [];
  const pending = history.ok ? history.data.totals.pending : 0;
  const facts = [
    [T.phone, p.phone || ""],
    [T.district, p.district || ""],
    [T.member_of, [p.station_id ? stationName(p.station_id) : "", p.requested_station_id ? `${T.asks_to_join} ${stationName(p.requested_station_id)}` : ""].filter(Boolean).join(" · ")],
    [T.person_role, `${T[`person_${p.role}`] || p.role}${p.active ? "" : ` · ${T.inactive}`}`],
    [T.skills, p.skills.join("、") || T.not_given],
    ...(p.certificates.length ? [[T.certificates, p.certificates.join("、")]] : []),
    ...(p.languages.length ? [[T.languages, p.languages.join("、")]] : []),
    [T.free_time, freeTime(p.availability)],
    [T.services_done, `${records.length} ${T.services_unit}`.trim()],
    [T.hours_confirmed_total, `${history.ok ? history.data.total_hours : 0} h${pending ? ` · ${T.hours_pending} ${pending} h` : ""}`],
  ];
  $("#person-facts").replaceChildren(...facts.flatMap(([term, value]) => [el("dt", {}, term), el("dd", {}, value)]));

  const touched = Array.isArray(imports.data) ? imports.data : [];
  $("#person-imports").replaceChildren(...touched.map((t) => el("li", { "data-job": t.job_id },
    `${fmtTime(t.at)} · ${T[`imp_${t.action}`] || t.action} · ${t.job.filename} (#${t.job_id})`)));
  if (!touched.length) $("#person-imports").append(el("li", {}, imports.ok ? T.no_imports : imports.data?.message || T.failed));

  const invitations = Array.isArray(asked.data) ? asked.data : [];
  $("#person-assignments").replaceChildren(...invitations.map((a) => el("li", { "data-assignment": a.id },
    el("a", { href: `#/task/${a.task_id}` }, a.task.title), ` · ${fmtTime(a.task.starts_at)} · `,
    el("span", { class: `state ${a.status}` }, statusText(a.status)))));
  if (!invitations.length) $("#person-assignments").append(el("li", {}, T.person_no_assignments));

  const form = $("#invite-form");
  const open = Array.isArray(tasks.data) ? tasks.data : [];
  const several = state.me.choices.length > 1;
  form.task_id.replaceChildren(...open.map((t) => el("option", { value: t.id },
    `${t.title} · ${fmtTime(t.starts_at)}${several ? ` · ${stationName(t.station_id)}` : ""}`)));
  if (!open.length) form.task_id.append(el("option", { value: "" }, T.no_open_tasks));
  form.querySelector("button").disabled = !open.length;
  showErrors(form, {});
  panel.hidden = false;
}

async function invitePerson(event) {
  event.preventDefault();
  const form = event.target, person = state.person;
  const taskId = Number(form.task_id.value);
  if (!person || !taskId) return;
  const button = form.querySelector("button");
  button.disabled = true;
  const answer = await api("POST", `/tasks/${taskId}/assignments`, { volunteer_id: person.id });
  button.disabled = false;
  if (!answer.ok) {  // refused (not open, inactive, wrong role, booked, asked already...): the API's own words
    const errors = answer.data?.errors;
    showErrors(form, { _any: [errors ? Object.values(errors).flat().join("; ") : answer.data?.message || T.failed] });
    return;
  }
  flash(`${T.invited}: ${person.name} → ${form.task_id.selectedOptions[0].textContent}`);
  await showPerson(person.id);
}

// ---------------------------------------------------------------- routing

async function route() {
  if (state.flashFor !== location.hash) flash("");
  document.querySelectorAll("main > section").forEach((s) => { s.hidden = true; });
  const other = $("#switch-lang");
  other.href = `${other.href.split("#")[0]}${location.hash}`;  // switching language keeps the view
  const signedIn = token() && await loadMe();
  $("#nav").hidden = !signedIn;
  $("#sign-out").hidden = !signedIn;
  if (!signedIn) { $("#who").textContent = ""; $("#view-signin").hidden = false; return; }
  const [, view, id] = location.hash.split("/");
  document.querySelectorAll("[data-nav]").forEach((a) => a.classList.toggle("current", a.dataset.nav === (view || "tasks")));
  if (view === "task" && id) { $("#view-task").hidden = false; await showTask(Number(id)); }
  else if (view === "plan") {
    $("#view-plan").hidden = false;
    const day = $("#plan-form").day;
    if (!day.value) {  // the coming Saturday, as a local date (toISOString would give the UTC one)
      const d = new Date();
      d.setDate(d.getDate() + ((6 - d.getDay() + 7) % 7 || 7));
      day.value = `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
    }
  } else if (view === "coverage") { $("#view-coverage").hidden = false; await showCoverage(); }
  else if (view === "import") $("#view-import").hidden = false;
  else if (view === "people") { $("#view-people").hidden = false; await showPeople(Number(id) || null); }
  else { $("#view-tasks").hidden = false; await showTasks(); }
}

document.addEventListener("DOMContentLoaded", () => {
  $("#signin-form").addEventListener("submit", signIn);
  $("#task-form").addEventListener("submit", createTask);
  $("#plan-form").addEventListener("submit", proposePlan);
  $("#plan-commit").addEventListener("click", commitPlan);
  $("#coverage-form").addEventListener("submit", showCoverage);
  $("#import-form").addEventListener("submit", startImport);
  $("#sign-out").addEventListener("click", () => signOut());
  window.addEventListener("hashchange", route);
  route();
});
