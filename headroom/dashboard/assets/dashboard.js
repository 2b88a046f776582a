// Headroom's savings dashboard. Plain JS, no build step, no dependencies.
//
// Every two seconds it reads /stats (the ledger summary), /dashboard/api/sessions
// and /dashboard/api/learned, and redraws what changed. Clicking a recent request
// opens its decision log from /v1/requests/{id}?originals=1.
//
// Two rules keep it honest and safe:
// - Numbers are the /stats numbers, formatted the same way every time (tokens with
//   thousands separators, dollars with 4 decimals, rates as percentages with 2).
// - Text from the ledger (prompts, tool output, model names) only ever goes into
//   the page as text nodes or attribute values, never through innerHTML.
"use strict";

(() => {
  const POLL_MS = 2000;
  const TIMELINE_MIN_DAYS = 7;
  const TIMELINE_MAX_DAYS = 30;
  const MAX_LINES_SHOWN = 5000;
  const TEXT_CAP = 16384; // what the ledger keeps of a compressed block
  const TOP_ROWS = 12; // rows per breakdown table; the rest are summed in one line
  const SVG_NS = document.getElementById("timeline-svg").namespaceURI;

  const state = {
    tenant: "",
    metric: "tokens",
    stats: null,
    updates: 0,
    generation: 0,
    timer: 0,
    drawn: new Map(), // section -> the JSON it was last drawn from
    tenants: "",
  };

  // ---------- formatting (deterministic: no locale) ----------

  function group3(digits) {
    return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  }

  function fmtInt(n) {
    const value = Math.round(Number(n) || 0);
    return (value < 0 ? "-" : "") + group3(String(Math.abs(value)));
  }

  function fmtUsd(x) {
    const value = Number(x) || 0;
    const [whole, cents] = Math.abs(value).toFixed(4).split(".");
    const zero = /^0+$/.test(whole + cents);
    return (value < 0 && !zero ? "-" : "") + "$" + group3(whole) + "." + cents;
  }

  function fmtPct(percent) {
    return (Number(percent) || 0).toFixed(2) + "%";
  }

  function fmtRate(rate) {
    return fmtPct((Number(rate) || 0) * 100);
  }

  function fmtMs(ms) {
    return (Number(ms) || 0).toFixed(1) + " ms";
  }

  function pad2(n) {
    return String(n).padStart(2, "0");
  }

  function fmtTime(epochSeconds) {
    const d = new Date(epochSeconds * 1000);
    const day = `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())}`;
    return `${day} ${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
  }

  function compact(n) {
    const abs = Math.abs(n);
    if (abs >= 1e6) return (n / 1e6).toFixed(abs >= 1e7 ? 0 : 1) + "M";
    if (abs >= 1e3) return (n / 1e3).toFixed(abs >= 1e4 ? 0 : 1) + "k";
    return String(Math.round(n));
  }

  // ---------- DOM helpers (text only; see the header) ----------

  function h(tag, props, ...kids) {
    const el = document.createElement(tag);
    setProps(el, props);
    for (const kid of kids.flat()) {
      if (kid !== null && kid !== undefined && kid !== false) el.append(kid);
    }
    return el;
  }

  function svg(tag, props, ...kids) {
    const el = document.createElementNS(SVG_NS, tag);
    setProps(el, props);
    for (const kid of kids) el.append(kid);
    return el;
  }

  function setProps(el, props) {
    for (const [key, value] of Object.entries(props || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "text") el.textContent = String(value);
      else if (key === "onclick") el.addEventListener("click", value);
      else el.setAttribute(key, String(value));
    }
  }

  function byTestId(id) {
    return document.querySelector(`[data-testid="${id}"]`);
  }

  function show(id, text, raw) {
    const el = byTestId(id);
    el.textContent = text;
    if (raw !== undefined) el.dataset.value = String(raw);
  }

  function changed(section, data) {
    const key = JSON.stringify(data);
    if (state.drawn.get(section) === key) return false;
    state.drawn.set(section, key);
    return true;
  }

  // ---------- fetching ----------

  async function getJson(url) {
    const response = await fetch(url, { cache: "no-store", headers: { Accept: "application/json" } });
    if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
    return response.json();
  }

  function tenantQuery(prefix) {
    return state.tenant ? `${prefix}tenant=${encodeURIComponent(state.tenant)}` : "";
  }

  // A tenant switch bumps the generation: a poll still in flight for the old
  // tenant then neither draws nor schedules the next one.
  async function poll() {
    window.clearTimeout(state.timer);
    const generation = state.generation;
    try {
      const [stats, sessions, learned] = await Promise.all([
        getJson("/stats?last=20" + tenantQuery("&")),
        getJson("/dashboard/api/sessions" + tenantQuery("?")),
        getJson("/dashboard/api/learned"),
      ]);
      if (generation !== state.generation) return;
      state.stats = stats;
      render(stats, sessions, learned);
      state.updates += 1;
      setLive("live", `live · updated ${fmtTime(Date.now() / 1000).slice(11)}`);
    } catch (error) {
      if (generation === state.generation) setLive("offline", "proxy unreachable · retrying");
    } finally {
      if (generation === state.generation) state.timer = window.setTimeout(poll, POLL_MS);
    }
  }

  function setLive(status, text) {
    const live = document.getElementById("live");
    live.dataset.state = status;
    live.dataset.updates = String(state.updates);
    document.getElementById("live-text").textContent = text;
  }

  // ---------- the panels ----------

  function render(stats, sessions, learned) {
    renderEmpty(stats);
    renderTotals(stats);
    renderMeasurement(stats.measured, stats.arms);
    if (changed("timeline", [stats.timeline, stats.today.day, state.metric])) renderTimeline();
    renderBreakdown("saved-by-compressor", stats.saved_by.compressor);
    renderBreakdown("saved-by-tool", stats.saved_by.tool);
    renderBreakdown("saved-by-model", stats.saved_by.model);
    renderSessions(sessions);
    renderLearned(learned);
    renderRecent(stats.recent);
    if (stats.tenants) renderTenants(stats.tenants);
  }

  function renderEmpty(stats) {
    const empty = document.getElementById("empty");
    empty.hidden = stats.requests > 0;
    document.getElementById("empty-hint").textContent =
      `export ANTHROPIC_BASE_URL=${location.origin}\n` +
      `export OPENAI_BASE_URL=${location.origin}/v1`;
  }

  function renderTotals(stats) {
    const dollars = stats.dollars;
    const today = stats.today;
    show("tokens-saved", fmtInt(stats.tokens_saved), stats.tokens_saved);
    show("tokens-before", fmtInt(stats.tokens_before), stats.tokens_before);
    show("saved-pct", fmtPct(stats.saved_pct), stats.saved_pct);
    show("tokens-saved-today", fmtInt(today.tokens_saved), today.tokens_saved);
    show("dollars-saved", fmtUsd(dollars.saved), dollars.saved);
    show("dollars-label", dollars.label);
    byTestId("dollars-label").dataset.label = dollars.label;
    show("dollars-saved-today", fmtUsd(today.saved), today.saved);
    show("responses-with-usage", fmtInt(stats.responses_with_usage), stats.responses_with_usage);
    show("dollars-spent", fmtUsd(dollars.spent), dollars.spent);
    show("dollars-without", fmtUsd(dollars.without_headroom), dollars.without_headroom);
    show("dollars-spent-today", fmtUsd(today.spent), today.spent);
    show("dollars-without-today", fmtUsd(today.without_headroom), today.without_headroom);
    const most = Math.max(dollars.spent, dollars.without_headroom);
    widthOf("bar-spent", most ? dollars.spent / most : 0);
    widthOf("bar-without", most ? dollars.without_headroom / most : 0);
    renderCache(stats.cache, stats.usage);
    show("requests", fmtInt(stats.requests), stats.requests);
    show("requests-today", fmtInt(today.requests), today.requests);
    show("streaming", fmtInt(stats.streaming), stats.streaming);
    show("retrievals", fmtInt(stats.retrievals), stats.retrievals);
    show("proxy-ms", fmtMs(stats.proxy_ms_avg), stats.proxy_ms_avg);
  }

  function widthOf(id, share) {
    document.getElementById(id).style.width = `${(Math.max(0, Math.min(1, share)) * 100).toFixed(2)}%`;
  }

  function renderCache(cache, usage) {
    show("cache-hit-rate", fmtRate(cache.hit_rate), cache.hit_rate);
    show("cache-read-tokens", fmtInt(cache.read_tokens), cache.read_tokens);
    show("cache-write-tokens", fmtInt(cache.write_tokens), cache.write_tokens);
    show("cache-input-tokens", fmtInt(usage.input_tokens), usage.input_tokens);
    const total = cache.read_tokens + cache.write_tokens + usage.input_tokens;
    const [read, write, plain] = document.querySelectorAll("#cache-stack .seg");
    read.style.width = `${total ? (100 * cache.read_tokens) / total : 0}%`;
    write.style.width = `${total ? (100 * cache.write_tokens) / total : 0}%`;
    plain.style.width = `${total ? (100 * usage.input_tokens) / total : 0}%`;
  }

  function renderMeasurement(measured, arms) {
    const panel = byTestId("measurement");
    panel.dataset.label = measured.label;
    const onCard = byTestId("dollars-measured");
    onCard.hidden = measured.label !== "measured";
    onCard.replaceChildren(
      ...(onCard.hidden ? [] : ["holdout measured ", h("strong", {}, fmtPct(measured.saved_pct)), " saved"]),
    );
    show("measured-label", measured.label);
    const text = byTestId("measured-text");
    const counts =
      `${fmtInt(measured.compressed_samples)} compressed vs ` +
      `${fmtInt(measured.holdout_samples)} holdout requests`;
    if (measured.label === "measured") {
      const [low, high] = measured.ci95_pct;
      text.replaceChildren(
        "Measured against holdout sessions: ",
        h("strong", { "data-testid": "measured-pct", text: fmtPct(measured.saved_pct) }),
        " saved per original input token (95% interval ",
        h("strong", { "data-testid": "measured-ci", text: `${fmtPct(low)} to ${fmtPct(high)}` }),
        `), from ${counts}.`,
      );
      return;
    }
    const meter = arms["meter-only"].requests;
    text.replaceChildren(
      "Dollars saved are an estimate: each usage receipt is priced as it was, and again with the " +
        "tokens Headroom removed put back. To measure instead, run with HEADROOM_HOLDOUT=0.1 " +
        `(needs 5 requests in each arm; now ${counts}).`,
      meter ? ` ${fmtInt(meter)} requests ran meter-only (nothing changed, savings as would-be).` : "",
    );
  }

  // ---------- timeline (inline SVG) ----------

  function dayList(timeline, today) {
    const first = timeline.length ? timeline[0].day : today;
    const end = new Date(`${today}T00:00:00Z`);
    let start = new Date(`${first < today ? first : today}T00:00:00Z`);
    const minStart = new Date(end.getTime() - (TIMELINE_MIN_DAYS - 1) * 86400000);
    const maxStart = new Date(end.getTime() - (TIMELINE_MAX_DAYS - 1) * 86400000);
    if (start > minStart) start = minStart;
    if (start < maxStart) start = maxStart;
    const days = [];
    for (let t = start.getTime(); t <= end.getTime(); t += 86400000) {
      days.push(new Date(t).toISOString().slice(0, 10));
    }
    return days;
  }

  // A round step (1, 2 or 5 times a power of ten) giving about four gridlines.
  function niceStep(top) {
    const raw = top > 0 ? top / 4 : 1;
    const power = 10 ** Math.floor(Math.log10(raw));
    for (const step of [1, 2, 5]) if (step * power >= raw) return step * power;
    return 10 * power;
  }

  function renderTimeline() {
    const stats = state.stats;
    const dollars = state.metric === "dollars";
    const byDay = new Map(stats.timeline.map((d) => [d.day, d]));
    const days = dayList(stats.timeline, stats.today.day);
    const valueOf = (day) => {
      const entry = byDay.get(day);
      if (!entry) return 0;
      return dollars ? entry.saved : entry.tokens_saved;
    };
    const values = days.map(valueOf);
    const box = document.getElementById("timeline");
    const width = Math.max(320, box.clientWidth);
    const height = 220;
    const m = { left: 64, right: 12, top: 12, bottom: 28 };
    const innerW = width - m.left - m.right;
    const innerH = height - m.top - m.bottom;
    const most = Math.max(...values, 0);
    const step = dollars && most === 0 ? 0.01 : niceStep(most);
    const top = Math.max(step, Math.ceil(most / step) * step);
    const y = (v) => m.top + innerH - (Math.max(0, v) / top) * innerH;
    const band = innerW / days.length;
    const barW = Math.min(44, band * 0.68);
    const chart = document.getElementById("timeline-svg");
    chart.setAttribute("viewBox", `0 0 ${width} ${height}`);
    chart.setAttribute("width", String(width));
    chart.setAttribute("height", String(height));
    const parts = [];
    const decimals = Math.max(0, Math.min(4, -Math.floor(Math.log10(step))));
    for (let i = 0; i * step <= top + step / 2; i += 1) {
      const v = i * step;
      const label = dollars ? "$" + v.toFixed(decimals) : compact(v);
      parts.push(
        svg("line", { class: "grid", x1: m.left, x2: width - m.right, y1: y(v), y2: y(v) }),
        svg("text", { class: "tick", x: m.left - 8, y: y(v) + 4, "text-anchor": "end" }, label),
      );
    }
    const every = Math.ceil(days.length / 10);
    days.forEach((day, i) => {
      const value = values[i];
      const x = m.left + band * i + (band - barW) / 2;
      const entry = byDay.get(day);
      const tip =
        `${day}: ${dollars ? fmtUsd(value) : fmtInt(value) + " tokens"} saved` +
        (entry ? ` · ${fmtInt(entry.requests)} requests` : "");
      const cls = day === stats.today.day ? "bar today" : "bar";
      const barH = Math.max(value > 0 ? 2 : 0, m.top + innerH - y(value));
      parts.push(
        svg(
          "rect",
          { class: cls, x, y: m.top + innerH - barH, width: barW, height: barH, rx: 3,
            "data-day": day, "data-value": value, "data-testid": "timeline-bar" },
          svg("title", {}, tip),
        ),
      );
      if (i % every === 0 || i === days.length - 1) {
        parts.push(
          svg("text", { class: "tick", x: x + barW / 2, y: height - 8, "text-anchor": "middle" },
            day.slice(5)),
        );
      }
    });
    chart.replaceChildren(...parts);
  }

  // ---------- tables ----------

  function cell(text, props) {
    return h("td", props || {}, text);
  }

  function numCell(text, testid, raw) {
    return h("td", { class: "num", "data-testid": testid, "data-value": raw }, text);
  }

  function emptyRow(tbody, columns, text) {
    tbody.replaceChildren(h("tr", { class: "none" }, h("td", { colspan: columns }, text)));
  }

  function plural(n, word) {
    return `${fmtInt(n)} ${word}${n === 1 ? "" : "s"}`;
  }

  // The first TOP_ROWS rows, then one line saying what the others add up to.
  function topRows(tbody, items, columns, rowOf, rest) {
    const shown = items.slice(0, TOP_ROWS).map(rowOf);
    const hidden = items.slice(TOP_ROWS);
    if (hidden.length) {
      shown.push(h("tr", { class: "none more" }, h("td", { colspan: columns }, rest(hidden))));
    }
    tbody.replaceChildren(...shown);
  }

  function shareBar(share) {
    const fill = h("span", { class: "fill" });
    fill.style.width = `${(share * 100).toFixed(2)}%`;
    return h("td", { class: "share" },
      h("div", { class: "share-box" }, h("span", { class: "meter" }, fill),
        h("span", { class: "pct" }, fmtPct(share * 100))));
  }

  function renderBreakdown(testid, counts) {
    if (!changed(testid, counts)) return;
    const tbody = byTestId(testid).tBodies[0];
    const rows = Object.entries(counts).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    if (!rows.length) return emptyRow(tbody, 3, "nothing saved yet");
    const total = rows.reduce((sum, [, v]) => sum + v, 0);
    topRows(tbody, rows, 3,
      ([name, tokens]) =>
        h("tr", { "data-name": name },
          cell(name, { class: "name", title: name }),
          numCell(fmtInt(tokens), "saved-tokens", tokens),
          shareBar(total ? tokens / total : 0)),
      (rest) => `and ${plural(rest.length, "more")}: ` +
        `${fmtInt(rest.reduce((sum, [, v]) => sum + v, 0))} tokens`);
  }

  function renderSessions(payload) {
    document.getElementById("session-window").textContent =
      `last ${fmtInt(payload.window)} requests`;
    if (!changed("sessions", payload.sessions)) return;
    const tbody = byTestId("saved-by-session").tBodies[0];
    if (!payload.sessions.length) return emptyRow(tbody, 4, "no requests yet");
    topRows(tbody, payload.sessions, 4,
      (s) =>
        h("tr", { "data-name": s.session },
          cell(s.session, { class: "name mono", title: s.session }),
          numCell(fmtInt(s.requests), "session-requests", s.requests),
          numCell(fmtInt(s.tokens_saved), "saved-tokens", s.tokens_saved),
          numCell(fmtUsd(s.saved), "saved-dollars", s.saved)),
      (rest) => `and ${plural(rest.length, "more session")}: ` +
        `${fmtInt(rest.reduce((sum, s) => sum + s.tokens_saved, 0))} tokens`);
  }

  function renderLearned(learned) {
    if (!changed("learned", learned)) return;
    const tools = byTestId("retrieval-by-tool").tBodies[0];
    if (!learned.tools.length) emptyRow(tools, 4, "nothing compressed yet");
    else {
      tools.replaceChildren(
        ...learned.tools.map((t) =>
          h("tr", { "data-name": t.tool },
            cell(t.tool, { class: "name" }),
            numCell(fmtInt(t.compressed), "compressed", t.compressed),
            numCell(fmtInt(t.retrieved), "retrieved", t.retrieved),
            numCell(fmtRate(t.retrieval_rate), "retrieval-rate", t.retrieval_rate)),
        ),
      );
    }
    const budgets = byTestId("learned-budgets").tBodies[0];
    if (!learned.signatures.length) {
      return emptyRow(budgets, 7, "nothing learned yet: no compressed content has been retrieved");
    }
    topRows(budgets, learned.signatures, 7,
      (s) =>
        h("tr", { "data-name": s.signature },
          cell(s.signature, { class: "name mono", title: s.signature }),
          numCell(fmtInt(s.compressed), "compressed", s.compressed),
          numCell(fmtInt(s.retrieved), "retrieved", s.retrieved),
          numCell(fmtInt(s.retrieved_full), "retrieved-full", s.retrieved_full),
          numCell(fmtRate(s.retrieval_rate), "retrieval-rate", s.retrieval_rate),
          numCell(s.keep_factor.toFixed(2), "keep-factor", s.keep_factor),
          cell(s.mode, { class: s.mode === "compress" ? "mode" : "mode lossless" })),
      (rest) => `and ${plural(rest.length, "more signature")}`);
  }

  function renderRecent(recent) {
    if (!changed("recent", recent)) return;
    const tbody = byTestId("recent-requests").tBodies[0];
    if (!recent.length) return emptyRow(tbody, 10, "no requests yet");
    tbody.replaceChildren(...recent.map(recentRow));
  }

  function recentRow(entry) {
    const saved =
      entry.dollars === null || entry.dollars_without === null
        ? null
        : entry.dollars_without - entry.dollars;
    const open = () => openRequest(entry.id);
    const row = h("tr", { class: "clickable", tabindex: 0, "data-testid": "recent-row",
      "data-id": entry.id, onclick: open },
      numCell(String(entry.id), "recent-id", entry.id),
      cell(fmtTime(entry.time), { class: "mono nowrap" }),
      cell(entry.provider),
      cell(entry.model, { class: "name", title: entry.model }),
      cell(entry.session || "–", { class: "name mono", title: entry.session || "" }),
      numCell(`${fmtInt(entry.tokens_before)} → ${fmtInt(entry.tokens_after)}`, "recent-tokens"),
      numCell(fmtInt(entry.tokens_before - entry.tokens_after), "recent-saved"),
      numCell(entry.dollars === null ? "–" : fmtUsd(entry.dollars), "recent-dollars", entry.dollars),
      numCell(saved === null ? "–" : fmtUsd(saved), "recent-dollars-saved", saved),
      h("td", { class: "num" }, h("span", { class: entry.status < 400 ? "status ok" : "status bad" },
        String(entry.status))));
    row.addEventListener("keydown", (event) => {
      if (event.key === "Enter" || event.key === " ") {
        event.preventDefault();
        open();
      }
    });
    return row;
  }

  function renderTenants(tenants) {
    const names = Object.keys(tenants).sort();
    const key = names.join(",");
    if (key === state.tenants) return;
    state.tenants = key;
    const select = document.getElementById("tenant");
    select.replaceChildren(
      h("option", { value: "" }, "All tenants"),
      ...names.map((t) => h("option", { value: t }, `${t} (${fmtInt(tenants[t])})`)),
    );
    select.value = state.tenant;
  }

  // ---------- the decision log ----------

  async function openRequest(id) {
    const drawer = document.getElementById("drawer");
    const body = document.getElementById("drawer-body");
    document.getElementById("drawer-title").textContent = `Request #${id}`;
    body.replaceChildren(h("p", { class: "muted" }, "loading…"));
    drawer.dataset.id = String(id);
    drawer.hidden = false;
    document.getElementById("backdrop").hidden = false;
    try {
      const entry = await getJson(`/v1/requests/${encodeURIComponent(id)}?originals=1`);
      if (drawer.dataset.id !== String(id)) return; // another row was opened meanwhile
      renderRequest(entry);
    } catch (error) {
      body.replaceChildren(h("p", { class: "error" }, `Could not load request #${id}: ${error.message}`));
    }
  }

  function closeDrawer() {
    document.getElementById("drawer").hidden = true;
    document.getElementById("backdrop").hidden = true;
  }

  function fact(label, value, testid) {
    return h("div", { class: "fact" }, h("dt", {}, label), h("dd", { "data-testid": testid }, value));
  }

  function renderRequest(entry) {
    const usage = entry.usage;
    document.getElementById("drawer-title").textContent =
      `Request #${entry.id} · ${entry.provider} · ${entry.model}`;
    const saved =
      entry.dollars === null || entry.dollars_without === null
        ? "–"
        : fmtUsd(entry.dollars_without - entry.dollars);
    const facts = h("dl", { class: "facts" },
      fact("time", fmtTime(entry.time)),
      fact("route", entry.route || "–"),
      fact("session", entry.session || "–"),
      fact("arm", entry.arm, "request-arm"),
      fact("status", String(entry.status) + (entry.streaming ? " · streamed" : "")),
      fact("tokens before → after",
        `${fmtInt(entry.tokens_before)} → ${fmtInt(entry.tokens_after)}`, "request-tokens"),
      fact("usage (in / cache read / cache write / out)", usage
        ? [usage.input_tokens, usage.cache_read_tokens, usage.cache_write_tokens,
          usage.output_tokens].map(fmtInt).join(" / ")
        : "no usage receipt"),
      fact("cost · without Headroom · saved",
        entry.dollars === null ? "–"
          : `${fmtUsd(entry.dollars)} · ${fmtUsd(entry.dollars_without)} · ${saved}`),
      fact("added by the proxy", fmtMs(entry.proxy_ms)),
      fact("retrievals answered", fmtInt(entry.retrievals)),
      fact("moved out of the prefix", entry.moved.length ? entry.moved.join(", ") : "–"),
      fact("cache breakpoints", entry.breakpoints.length ? entry.breakpoints.join(", ") : "–"),
    );
    const blocks = entry.decisions.length
      ? entry.decisions.map(decisionCard)
      : [h("p", { class: "muted" }, "No block was large enough to look at.")];
    document.getElementById("drawer-body").replaceChildren(
      facts,
      h("h3", {}, `Decisions · ${plural(entry.decisions.length, "block")}`),
      ...blocks,
    );
  }

  function decisionCard(d) {
    const head = h("div", { class: "decision-head" },
      h("span", { class: `badge decision-${d.decision}`, "data-testid": "decision-decision" }, d.decision),
      h("span", { class: "mono" }, d.block),
      h("span", {}, [d.tool || "–", d.kind || "–"].join(" · ")),
      d.compressor ? h("span", { class: "muted" }, `compressor ${d.compressor}`) : null,
    );
    const facts = h("dl", { class: "facts small" },
      fact("reason", d.reason, "decision-reason"),
      fact("cache planner", d.plan || "–", "decision-plan"),
      fact("tokens before → after",
        `${fmtInt(d.tokens_before)} → ${fmtInt(d.tokens_after)}`, "decision-tokens"),
      fact("ccr id", d.ccr_id || "–", "decision-ccr"),
    );
    const card = h("section", { class: "decision", "data-testid": "decision", "data-block": d.block },
      head, facts);
    if (d.text === null || d.text === undefined) {
      card.append(h("p", { class: "muted" }, "Unchanged: the model saw the original."));
      return card;
    }
    card.append(sideBySide(d));
    return card;
  }

  function sideBySide(d) {
    const seen = d.text;
    const seenLines = new Set(seen.split("\n"));
    // A line the model also saw (whole, or inside a line it saw) is "kept";
    // lines too short to tell ("}", blank) stay unmarked.
    const sent = (line) => seenLines.has(line) || (line.trim().length >= 8 && seen.includes(line));
    const original = d.original;
    const left = original === null || original === undefined
      ? h("pre", { class: "text expired", "data-testid": "original-text" }, d.ccr_id
        ? "The original has expired from the store."
        : "A lossless rewrite: nothing was cut, so no original was stored.")
      : linesPre(original, "original-text", (line) => {
        if (line.trim().length < 8 && !seenLines.has(line)) return "";
        return sent(line) ? "kept" : "cut";
      });
    const right = linesPre(seen, "model-text", (line) => (line.includes("[headroom:") ? "marker" : ""));
    const capped = seen.length >= TEXT_CAP ? ` (first ${fmtInt(TEXT_CAP)} characters)` : "";
    return h("div", { class: "diff" },
      h("div", { class: "pane" },
        h("div", { class: "pane-head" }, `Original · ${fmtInt(d.tokens_before)} tokens`,
          h("span", { class: "legend" }, h("i", { class: "sw kept" }), "seen by the model",
            h("i", { class: "sw cut" }), "cut, retrievable")),
        left),
      h("div", { class: "pane" },
        h("div", { class: "pane-head" },
          `What the model saw · ${fmtInt(d.tokens_after)} tokens${capped}`),
        right));
  }

  function linesPre(text, testid, classOf) {
    const lines = text.split("\n");
    const pre = h("pre", { class: "text", "data-testid": testid });
    const shown = lines.slice(0, MAX_LINES_SHOWN);
    shown.forEach((line, i) => {
      const cls = classOf(line);
      pre.append(cls ? h("span", { class: cls }, line) : line);
      if (i < shown.length - 1) pre.append("\n");
    });
    if (lines.length > shown.length) {
      pre.append("\n", h("span", { class: "more" },
        `… ${fmtInt(lines.length - shown.length)} more lines not shown`));
    }
    return pre;
  }

  // ---------- wiring ----------

  function wire() {
    document.getElementById("tenant").addEventListener("change", (event) => {
      state.tenant = event.target.value;
      state.generation += 1;
      state.drawn.clear();
      poll();
    });
    for (const button of document.querySelectorAll(".toggle button")) {
      button.addEventListener("click", () => {
        state.metric = button.dataset.metric;
        for (const other of document.querySelectorAll(".toggle button")) {
          other.setAttribute("aria-pressed", String(other === button));
        }
        if (state.stats) renderTimeline();
      });
    }
    document.getElementById("drawer-close").addEventListener("click", closeDrawer);
    document.getElementById("backdrop").addEventListener("click", closeDrawer);
    document.addEventListener("keydown", (event) => {
      if (event.key === "Escape") closeDrawer();
    });
    let resizeTimer = 0;
    window.addEventListener("resize", () => {
      window.clearTimeout(resizeTimer);
      resizeTimer = window.setTimeout(() => state.stats && renderTimeline(), 100);
    });
  }

  wire();
  poll();
})();
