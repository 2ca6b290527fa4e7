// Queue: keyboard review. J/K move, C confirm, X reject (1-6 picks a reason), Z undoes the
// last decision while the server's undo window lasts, Enter opens.
// Actions go to /api/issues/CODE/ACTION with the row's version and the CSRF header;
// a 409 marks the row and shows the current state instead of overwriting it.
(function () {
  "use strict";
  const bulk = document.getElementById("bulk");
  if (bulk) {
    bulk.addEventListener("submit", (e) => { if (!window.confirm(bulk.dataset.confirm)) e.preventDefault(); });
  }
  const table = document.getElementById("queue");
  if (!table) return;
  const csrf = document.body.dataset.csrf;
  const rows = () => Array.from(table.tBodies[0].rows);
  let sel = 0;
  let popover = null;

  function select(i) {
    const all = rows();
    if (!all.length) return;
    sel = Math.max(0, Math.min(i, all.length - 1));
    all.forEach((r, j) => r.classList.toggle("sel", j === sel));
    all[sel].scrollIntoView({ block: "nearest" });
  }
  function current() { return rows()[sel]; }
  function nextPending(from) {
    const all = rows();
    for (let j = from + 1; j < all.length; j++) {
      if (all[j].dataset.status === "candidate" && !all[j].classList.contains("done")) return j;
    }
    return Math.min(from + 1, all.length - 1);
  }

  function bump(status, delta) {
    const n = document.querySelector('[data-count="' + status + '"]');
    if (n) n.textContent = String(Math.max(0, Number(n.textContent) + delta));
  }

  function setStatus(row, issue) {
    if (row.dataset.status !== issue.status) { bump(row.dataset.status, -1); bump(issue.status, 1); }
    row.dataset.version = issue.version;
    row.dataset.status = issue.status;
    const cell = row.querySelector("td.st");
    const chip = document.createElement("span");
    chip.className = "chip st-" + issue.status;
    chip.dataset.status = issue.status;
    chip.textContent = issue.status_label || issue.status;
    cell.replaceChildren(chip);
    const acts = row.querySelector("td.acts");
    if (issue.status !== "candidate") acts.replaceChildren();
    else if (!acts.querySelector("button")) {
      acts.replaceChildren(document.getElementById("acts-tpl").content.cloneNode(true));
    }
  }

  // The toast offering to undo the last decision, for the server's undo window.
  let undo = null;
  function dropUndo() { if (undo) { clearInterval(undo.timer); undo.node.remove(); undo = null; } }
  function offerUndo(row, issue) {
    dropUndo();
    const node = document.getElementById("undo-tpl").content.firstElementChild.cloneNode(true);
    node.querySelector(".what").textContent = row.dataset.code + " → " + (issue.status_label || issue.status);
    const left = node.querySelector(".left");
    let seconds = Number(table.dataset.undoWindow) - 1;
    const tick = () => { left.textContent = seconds + "s"; if (--seconds < 0) dropUndo(); };
    undo = { row, node, timer: setInterval(tick, 1000) };
    tick();
    node.querySelector("[data-undo]").addEventListener("click", () => takeBack());
    document.body.appendChild(node);
  }
  async function takeBack() {
    if (!undo) return;
    const row = undo.row;
    dropUndo();
    const data = await post(row, "undo", {});
    if (!data) return;
    row.classList.remove("done");
    select(rows().indexOf(row));
  }

  // POST an action for the row; the answer's issue on success, else null (the row says why).
  async function post(row, action, extra) {
    row.dataset.busy = "1";
    const body = Object.assign({ version: Number(row.dataset.version) }, extra || {});
    let res;
    try {
      res = await fetch("/api/issues/" + encodeURIComponent(row.dataset.code) + "/" + action, {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
        body: JSON.stringify(body),
        credentials: "same-origin",
      });
    } catch (e) {
      delete row.dataset.busy;
      message(row, String(e));
      return null;
    }
    delete row.dataset.busy;
    const data = await res.json().catch(() => ({}));
    if (res.ok) { setStatus(row, data.issue); return data; }
    if (res.status === 409) {
      row.classList.add("conflict");
      if (data.issue) setStatus(row, data.issue);
      message(row, data.message || "conflict");
    } else if (res.status === 401) {
      window.location = "/login?next=" + encodeURIComponent(location.pathname + location.search);
    } else {
      message(row, data.message || data.error || res.statusText);
    }
    return null;
  }

  function message(row, text) {
    const acts = row.querySelector("td.acts");
    const span = document.createElement("span");
    span.className = "msg";
    span.textContent = text;
    acts.replaceChildren(span);
  }

  async function act(row, action, extra) {
    if (!row || row.dataset.status !== "candidate" || row.dataset.busy) return;
    const data = await post(row, action, extra);
    if (!data) return;
    row.classList.add("done");
    offerUndo(row, data.issue);
    if (row === current()) select(nextPending(sel));
  }

  function closePopover() { if (popover) { popover.remove(); popover = null; } }

  function askReason(row) {
    closePopover();
    if (!row || row.dataset.status !== "candidate") return;
    const tpl = document.getElementById("reasons-tpl");
    popover = tpl.content.firstElementChild.cloneNode(true);
    document.body.appendChild(popover);
    const rect = row.querySelector("td.acts").getBoundingClientRect();
    popover.style.top = window.scrollY + rect.bottom + 2 + "px";
    popover.style.left = Math.max(8, window.scrollX + rect.right - 280) + "px";
    popover.addEventListener("click", (e) => {
      const b = e.target.closest("button[data-reason]");
      if (b) { closePopover(); act(row, "reject", { reason: b.dataset.reason }); }
    });
    const text = popover.querySelector("[data-reason-text]");
    text.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && text.value.trim()) {
        e.preventDefault(); closePopover(); act(row, "reject", { reason_text: text.value.trim() });
      } else if (e.key === "Escape") { closePopover(); }
      e.stopPropagation();
    });
    popover.reasonRow = row;
    popover.querySelector("button").focus();
  }

  function help() {
    const tpl = document.getElementById("help-tpl");
    const node = tpl.content.firstElementChild.cloneNode(true);
    node.addEventListener("click", () => node.remove());
    document.body.appendChild(node);
  }

  table.addEventListener("click", (e) => {
    const row = e.target.closest("tr[data-code]");
    if (!row) return;
    const button = e.target.closest("button[data-act]");
    if (button) {
      e.stopPropagation();
      select(rows().indexOf(row));
      if (button.dataset.act === "confirm") act(row, "confirm");
      else askReason(row);
      return;
    }
    if (e.target.closest("a")) return;
    window.location = row.dataset.href;
  });

  document.addEventListener("keydown", (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const tag = (e.target.tagName || "").toLowerCase();
    if (popover) {
      const n = parseInt(e.key, 10);
      const options = popover.querySelectorAll("button[data-reason]");
      if (n >= 1 && n <= options.length) { e.preventDefault(); options[n - 1].click(); }
      else if (e.key === "Escape") { closePopover(); }
      return;
    }
    if (tag === "input" || tag === "select" || tag === "textarea") return;
    const help_ = document.querySelector(".help");
    if (help_) { help_.remove(); return; }
    switch (e.key) {
      case "j": case "ArrowDown": e.preventDefault(); select(sel + 1); break;
      case "k": case "ArrowUp": e.preventDefault(); select(sel - 1); break;
      case "c": case "C": e.preventDefault(); act(current(), "confirm"); break;
      case "x": case "X": e.preventDefault(); askReason(current()); break;
      case "Enter": case "o": e.preventDefault(); if (current()) window.location = current().dataset.href; break;
      case "]": { const a = document.getElementById("next-page"); if (a) window.location = a.href; break; }
      case "[": { const a = document.getElementById("prev-page"); if (a) window.location = a.href; break; }
      case "?": help(); break;
      case "z": case "Z": e.preventDefault(); takeBack(); break;
      default: break;
    }
  });
  document.addEventListener("click", (e) => {
    if (popover && !popover.contains(e.target) && !e.target.closest("button[data-act]")) closePopover();
  });
  select(0);
})();
