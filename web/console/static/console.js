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
  const headers = { Authorization: `Bearer ${token()}` };
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

async function showTasks() {
  const select = $("#station");
  select.replaceChildren(...state.me.choices.map((s) => el("option", { value: s.id, ...(s.id === state.stationId ? { selected: "" } : {}) }, s.name)));
  select.onchange = () => { state.stationId = Number(select.value); showTasks(); };
  const answer = await api("GET", `/tasks?station_id=${state.stationId}&page_size=100`);
  if (!answer.ok) flash(answer.data?.message || T.failed, "error");
  const rows = (Array.isArray(answer.data) ? answer.data : []).map((task) => el("tr", { "data-task": task.id },
    el("td", {}, el("a", { href: `#/task/${task.id}` }, task.title)),
    el("td", {}, `${fmtTime(task.starts_at)} – ${fmtTime(task.ends_at).split(" ").pop()}`),
    el("td", {}, task.headcount),
    el("td", {}, statusText(task.status)),
    el("td", {}, ["open", "filled"].includes(task.status)
      ? el("button", { type: "button", class: "danger", onclick: () => cancelTask(task) }, T.cancel) : "")));
  $("#task-table tbody").replaceChildren(...rows);
  if (!rows.length) $("#task-table tbody").append(el("tr", {}, el("td", { colspan: 5 }, T.no_tasks)));
}

async function createTask(event) {
  event.preventDefault();
  const form = event.target;
  const value = (name) => form.elements[name].value.trim();
  const body = { station_id: state.stationId, title: value("title"), skills: listOf(value("skills")),
    required_skills: listOf(value("required_skills")), starts_at: value("starts_at"), ends_at: value("ends_at"),
    role: value("role") };
  const headcount = value("headcount");
  body.headcount = /^\d+$/.test(headcount) ? Number(headcount) : headcount;
  for (const name of ["target_group", "address"]) if (value(name)) body[name] = value(name);
  for (const name of ["starts_at", "ends_at"]) if (!body[name]) delete body[name];
  const answer = await api("POST", "/tasks", body);
  if (answer.status === 422 || answer.status === 409) { showErrors(form, answer.data.errors || { _schema: [answer.data.message] }); return; }
  if (!answer.ok) { flash(answer.data?.message || T.failed, "error"); return; }
  showErrors(form, {});
  form.reset();
  flash(`${T.created}: ${answer.data.title}`, "info", `#/task/${answer.data.id}`);
  location.hash = `#/task/${answer.data.id}`;
}

async function cancelTask(task) {
  if (!confirm(`${T.confirm_cancel} ${task.title}?`)) return;
  const answer = await api("PATCH", `/tasks/${task.id}`, { status: "cancelled" });
  flash(answer.ok ? `${T.cancelled}: ${task.title}` : answer.data?.message || T.failed, answer.ok ? "info" : "error");
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
  $("#task-meta").textContent = `${fmtTime(task.starts_at)} – ${fmtTime(task.ends_at)} · ${task.district || ""} · ${T.headcount} ${task.headcount} · ${statusText(task.status)}`
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
  for (const km of rings) {
    svg.append(node("circle", { cx: 0, cy: 0, r: (km / far) * 100, class: "ring" }));
    const at = (km / far) * 100 * Math.SQRT1_2;  // labels on the north-east diagonal, clear of the north mark
    svg.append(node("text", { x: at + 1, y: -at - 1, class: "ring-label" }, `${km.toFixed(1)} km`));
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
    el("td", {}, a.record ? `${a.record.hours} h (${T[`src_${a.record.source}`]}${a.record.status === "pending" ? `, ${T.pending}` : ""})` : ""),
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
  $("#plan-unfilled").replaceChildren(...plan.unfilled.map((u) => el("li", {}, `${T.task} ${u.task_id}: ${T.unfilled} ${u.seats} — ${u.reason}`)));
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

async function showCoverage(event) {
  event?.preventDefault();
  const form = $("#coverage-form");
  const query = new URLSearchParams();
  for (const name of ["district", "category"]) if (form[name].value) query.set(name, form[name].value);
  if (form.from.value) query.set("from", `${form.from.value}T00:00`);
  if (form.to.value) query.set("to", `${form.to.value}T00:00`);
  const answer = await api("GET", `/reports/coverage?${query}`);
  if (!answer.ok) { showErrors(form, { _any: [answer.data?.message || T.failed] }); return; }
  showErrors(form, {});
  const names = Object.fromEntries(answer.data.categories.map((c) => [c.id, c[LANG] || c.en]));
  if (form.category.options.length === 1) {
    form.category.append(...answer.data.categories.map((c) => el("option", { value: c.id }, names[c.id])));
  }
  $("#coverage-table tbody").replaceChildren(...answer.data.rows.map((r) => el("tr", { class: r.gap > 0 ? "gap" : "" },
    el("td", {}, r.district || ""), el("td", {}, names[r.category] || r.category), el("td", {}, r.people), el("td", {}, r.demand), el("td", {}, r.gap))));
  query.set("lang", LANG);
  const picture = await api("GET", `/reports/coverage.png?${query}`, undefined, { raw: true });
  const img = $("#coverage-png");
  if (img.src) URL.revokeObjectURL(img.src);
  img.src = URL.createObjectURL(await picture.blob());
  img.hidden = false;
}

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
