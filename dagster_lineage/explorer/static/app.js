/* dagster-lineage explorer: the asset graph, column paths and impact, over the explorer's JSON API
   (`dagster-lineage serve`) or the files of a static site (`dagster-lineage docs`). No framework;
   layout by dagre (vendor/dagre.min.js), drawing in plain SVG. */
(function () {
  "use strict";

  const CFG = window.LINEAGE_CONFIG || { mode: "serve" };
  const SVGNS = "http://www.w3.org/2000/svg";
  const NODE_W = 250, HEAD_H = 44, ROW_H = 20, MAX_AUTO_ROWS = 8;
  const KIND_CLASS = { identity: 1, rename: 1, transformation: 1, aggregation: 1 };

  // --- data sources ------------------------------------------------------------------------

  function encKey(key) { return key.split("/").map(encodeURIComponent).join("/"); }

  async function getJSON(url, options) {
    const res = await fetch(url, options);
    const text = await res.text();
    let body;
    try { body = JSON.parse(text); } catch (e) { throw new Error(`${res.status}: ${text.slice(0, 200)}`); }
    if (!res.ok) throw new Error(body.error || `HTTP ${res.status}`);
    return body;
  }

  class ApiSource {
    get canImpact() { return true; }
    index() { return getJSON("api/assets"); }
    lineage(key, direction, depth, column) {
      const q = new URLSearchParams({ direction, depth: depth == null ? "all" : String(depth) });
      if (column) q.set("column", column);
      return getJSON(`api/lineage/${encKey(key)}?${q}`);
    }
    diff() { return getJSON("api/diff"); }
    impact(body) {
      return getJSON("api/impact", {
        method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
      });
    }
  }

  /* The static site: data/index.js and one data/a/<id>.js per asset, loaded as scripts (so the site
     also opens from a local folder). Each asset file holds the asset and its columns' lineage. */
  class StaticSource {
    constructor() {
      this.waiting = new Map();
      this.cache = new Map();
      window.__lineageData = (name, payload) => {
        this.cache.set(name, payload);
        const w = this.waiting.get(name);
        if (w) { this.waiting.delete(name); w.resolve(payload); }
      };
    }
    get canImpact() { return false; }
    load(name) {
      if (this.cache.has(name)) return Promise.resolve(this.cache.get(name));
      if (this.waiting.has(name)) return this.waiting.get(name).promise;
      let resolve, reject;
      const promise = new Promise((res, rej) => { resolve = res; reject = rej; });
      this.waiting.set(name, { promise, resolve, reject });
      const s = document.createElement("script");
      s.src = `data/${name}.js`;
      s.onerror = () => { this.waiting.delete(name); reject(new Error(`cannot load data/${name}.js`)); };
      document.head.appendChild(s);
      return promise;
    }
    async index() {
      const idx = await this.load("index");
      this.ids = new Map(idx.assets.map((a) => [a.key, a.id]));
      return idx;
    }
    node(key) {
      if (!this.ids.has(key)) return Promise.reject(new Error(`unknown asset ${key}`));
      return this.load(`a/${this.ids.get(key)}`);
    }
    async lineage(key, direction, depth, column) {
      const seen = new Map([[key, 0]]);
      const steps = direction === "both" ? ["parents", "children"] : [direction === "upstream" ? "parents" : "children"];
      for (const step of steps) {
        let frontier = [key];
        const visited = new Set([key]);
        for (let d = 0; frontier.length && (depth == null || d < depth); d++) {
          const nodes = await Promise.all(frontier.map((k) => this.node(k)));
          const next = [];
          for (const n of nodes) for (const k of n.detail[step]) {
            if (visited.has(k)) continue;
            visited.add(k); next.push(k);
            if (!seen.has(k)) seen.set(k, d + 1);
          }
          frontier = next;
        }
      }
      const out = { root: key, direction, depth, truncated: false };
      if (column) {
        const col = await this.columnLineage(key, column);
        out.column = col;
        for (const e of col.edges) for (const end of [e.from, e.to]) if (!seen.has(end.asset)) seen.set(end.asset, null);
      }
      const details = await Promise.all([...seen.keys()].map((k) => this.node(k)));
      out.assets = details.map((n) => {
        const d = Object.assign({}, n.detail, { distance: seen.get(n.detail.key) });
        d.hidden_parents = d.parents.filter((p) => !seen.has(p)).length;
        d.hidden_children = d.children.filter((c) => !seen.has(c)).length;
        return d;
      });
      out.edges = [];
      for (const n of details) for (const p of n.detail.parents) if (seen.has(p)) out.edges.push({ from: p, to: n.detail.key });
      return out;
    }
    /* The hops of Explorer.column_lineage, walked over the asset files: sources upstream,
       consumers downstream; indirect hops end a path. */
    async columnLineage(key, column) {
      const low = (s) => s.toLowerCase();
      const id = (r) => `${r.asset}.${low(r.column)}`;
      const root = await this.node(key);
      const info = root.detail.columns.find((c) => low(c.name) === low(column));
      if (!info) throw new Error(`${key} has no column ${column}`);
      const edges = [], sig = new Set(), upPaths = [], downPaths = [];
      const add = (from, to, kind, indirect, direction) => {
        const k = `${id(from)}|${id(to)}|${kind}`;
        if (!sig.has(k)) { sig.add(k); edges.push({ from, to, kind, indirect, direction }); }
      };
      const ORDER = ["identity", "rename", "transformation", "aggregation"];
      const fold = (a, b) => ORDER[Math.max(ORDER.indexOf(a), ORDER.indexOf(b))];
      const start = { asset: key, column: info.name };
      const shape = (direction) => (p) => ({
        direction, path: p.path.map((x) => `${x.asset}.${x.column}`), steps: p.path,
        kind: p.kind, clause: p.clause || null, indirect: p.indirect || null,
        how: p.clause || (p.indirect ? `indirect ${p.indirect}` : p.kind),
      });
      // upstream: every hop (sources and indirect inputs) reachable, each column once
      let queue = [{ ref: start, path: [start], kind: "identity", indirect: null }];
      let seen = new Set([id(start)]);
      while (queue.length) {
        const next = [];
        for (const item of queue) {
          const n = await this.node(item.ref.asset).catch(() => null);
          const c = n && n.detail.columns.find((x) => low(x.name) === low(item.ref.column));
          if (!c) continue;
          const hops = c.sources.map((x) => [x, false]).concat(c.indirect.map((x) => [x, true]));
          for (const [x, indirect] of hops) {
            const up = { asset: x.asset, column: x.column };
            add(up, item.ref, x.kind, indirect, "upstream");
            if (seen.has(id(up))) continue;
            seen.add(id(up));
            const p = { ref: up, path: item.path.concat([up]), kind: indirect ? item.kind : fold(item.kind, x.kind), indirect: item.indirect || (indirect ? x.kind : null) };
            upPaths.push(p); next.push(p);
          }
        }
        queue = next;
      }
      if (root.detail.columns.every((c) => !c.indirect.length)) {
        for (const r of root.detail.reads) add({ asset: r.asset, column: r.column }, { asset: key, column: "*" }, r.kind, true, "upstream");
      }
      // downstream: every use (selected into, shaping, read) reachable, each column once
      queue = [{ ref: start, path: [start], kind: "identity", indirect: null }];
      seen = new Set([id(start)]);
      while (queue.length) {
        const next = [];
        for (const item of queue) {
          const n = await this.node(item.ref.asset).catch(() => null);
          if (!n) continue;
          const uses = Object.entries(n.consumers).find(([c]) => low(c) === low(item.ref.column))?.[1] || [];
          for (const u of uses) {
            const to = { asset: u.asset, column: u.column };
            add(item.ref, to, u.kind, u.indirect, "downstream");
            if (u.column === "*") { downPaths.push({ ref: to, path: item.path.concat([to]), kind: item.kind, clause: u.kind, indirect: item.indirect }); continue; }
            if (seen.has(id(to))) continue;
            seen.add(id(to));
            const p = { ref: to, path: item.path.concat([to]), kind: u.indirect ? item.kind : fold(item.kind, u.kind), indirect: item.indirect || (u.indirect ? u.kind : null) };
            downPaths.push(p); next.push(p);
          }
        }
        queue = next;
      }
      return { column: start, upstream: upPaths.map(shape("upstream")), downstream: downPaths.map(shape("downstream")), edges };
    }
    diff() { return this.load("diff"); }
    impact() { return Promise.reject(new Error("the static site has no analysis engine")); }
  }

  const source = CFG.mode === "static" ? new StaticSource() : new ApiSource();

  // --- state -------------------------------------------------------------------------------

  const S = {
    index: null, summaries: new Map(),
    assets: new Map(), edges: new Map(), expanded: new Set(),
    selected: null, column: null, colLineage: null,
    impact: null, changes: [], transform: { x: 0, y: 0, k: 1 }, layout: null,
  };

  const $ = (id) => document.getElementById(id);
  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v == null || v === false) continue;
      if (k === "class") e.className = v; else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children.flat(Infinity)) if (c != null && c !== false) e.append(c.nodeType ? c : document.createTextNode(String(c)));
    return e;
  }
  function svg(tag, attrs, ...children) {
    const e = document.createElementNS(SVGNS, tag);
    for (const [k, v] of Object.entries(attrs || {})) if (v != null) e.setAttribute(k, v);
    for (const c of children) if (c != null) e.append(c.nodeType ? c : document.createTextNode(String(c)));
    return e;
  }
  function fill(parent, ...children) {
    parent.replaceChildren(...children.flat(Infinity).filter((c) => c != null && c !== false)
      .map((c) => (c.nodeType ? c : document.createTextNode(String(c)))));
  }
  function message(text, isError) {
    const m = $("message");
    m.hidden = !text; m.textContent = text || ""; m.className = isError ? "error" : "";
  }
  const colId = (asset, column) => `${asset}.${column}`;

  // --- loading -----------------------------------------------------------------------------

  function merge(answer, replace) {
    if (replace) { S.assets.clear(); S.edges.clear(); S.expanded.clear(); }
    for (const a of answer.assets) {
      const old = S.assets.get(a.key);
      S.assets.set(a.key, a);
      if (old) a.distance = old.distance ?? a.distance;
    }
    for (const e of answer.edges) S.edges.set(`${e.from}\u0000${e.to}`, e);
    for (const a of S.assets.values()) {  // neighbours still not shown
      a.hidden_parents = a.parents.filter((p) => !S.assets.has(p)).length;
      a.hidden_children = a.children.filter((c) => !S.assets.has(c)).length;
      for (const p of a.parents) if (S.assets.has(p)) S.edges.set(`${p}\u0000${a.key}`, { from: p, to: a.key });
    }
    if (answer.truncated) message(`Showing the nearest ${S.assets.size} assets; use + on a node to expand.`);
  }

  async function openAsset(key, opts) {
    opts = opts || {};
    const direction = $("direction").value;
    const depthSel = $("depth").value;
    const depth = opts.depth !== undefined ? opts.depth : (depthSel === "all" ? null : Number(depthSel));
    try {
      if (!S.assets.has(key) || opts.reload) {
        const answer = await source.lineage(key, direction, depth);
        merge(answer, true);
        S.root = key;
      }
      select(key, opts.column || null, { keepView: !!opts.keepView });
    } catch (e) { message(String(e.message || e), true); }
  }

  async function expand(key, direction) {
    try {
      const answer = await source.lineage(key, direction, 1);
      merge(answer, false);
      render(true);
    } catch (e) { message(String(e.message || e), true); }
  }

  async function select(key, column, opts) {
    S.selected = key; S.column = column || null; S.colLineage = null;
    if (column) {
      try {
        const answer = await source.lineage(key, "both", 0, column);
        merge(answer, false);
        S.colLineage = answer.column;
        S.column = answer.column.column.column;
      } catch (e) { message(String(e.message || e), true); S.column = null; }
    }
    const hash = new URLSearchParams({ asset: key });
    if (S.column) hash.set("column", S.column);
    history.replaceState(null, "", `#${hash}`);
    render(!(opts && opts.keepView) || !S.layout);
    showAsset(key);
    showColumn();
    showImpactForm();
  }

  // --- graph drawing -----------------------------------------------------------------------

  function highlighted() {
    // column ids on the traced paths, by role; and the set of assets touched
    const up = new Set(), down = new Set(), assets = new Set();
    if (!S.colLineage) return null;
    const root = colId(S.colLineage.column.asset, S.colLineage.column.column);
    for (const e of S.colLineage.edges) {
      const a = colId(e.from.asset, e.from.column), b = colId(e.to.asset, e.to.column);
      if (e.direction === "upstream") { up.add(a); } else { down.add(b); }
      assets.add(e.from.asset); assets.add(e.to.asset);
    }
    assets.add(S.colLineage.column.asset);
    return { root, up, down, assets };
  }

  function visibleColumns(a, hl) {
    if (S.expanded.has(a.key)) return { cols: a.columns, more: 0 };
    if (hl && hl.assets.has(a.key)) {
      const on = a.columns.filter((c) => {
        const id = colId(a.key, c.name);
        return id === hl.root || hl.up.has(id) || hl.down.has(id);
      });
      return { cols: on, more: a.columns.length - on.length };
    }
    if (a.columns.length && a.columns.length <= MAX_AUTO_ROWS && S.assets.size <= 12) return { cols: a.columns, more: 0 };
    return { cols: [], more: a.columns.length };
  }

  function layout(hl) {
    const g = new dagre.graphlib.Graph();
    g.setGraph({ rankdir: "LR", nodesep: 22, ranksep: 110, marginx: 30, marginy: 30 });
    g.setDefaultEdgeLabel(() => ({}));
    for (const a of S.assets.values()) {
      const v = visibleColumns(a, hl);
      a._cols = v.cols; a._more = v.more;
      const rows = v.cols.length + (v.more && (v.cols.length || S.expanded.has(a.key) || (hl && hl.assets.has(a.key))) ? 1 : 0);
      g.setNode(a.key, { width: NODE_W, height: HEAD_H + (rows ? rows * ROW_H + 6 : 0) });
    }
    for (const e of S.edges.values()) if (S.assets.has(e.from) && S.assets.has(e.to)) g.setEdge(e.from, e.to);
    dagre.layout(g);
    return g;
  }

  function short(text, n) { return text && text.length > n ? text.slice(0, n - 1) + "…" : (text || ""); }

  function render(fit) {
    const hl = highlighted();
    const g = layout(hl);
    S.layout = g;
    const vp = $("viewport");
    vp.replaceChildren();
    const edgeLayer = svg("g", { class: "edges" }), nodeLayer = svg("g", { class: "nodes" }), colLayer = svg("g", { class: "cedges" });
    vp.append(edgeLayer, nodeLayer, colLayer);
    const rowY = new Map();  // column id -> [x-left, x-right, y]
    const sev = S.impact ? new Map(S.impact.affected_assets.map((x) => [x.asset, x.severity])) : null;

    for (const e of S.edges.values()) {
      if (!S.assets.has(e.from) || !S.assets.has(e.to)) continue;
      const a = g.node(e.from), b = g.node(e.to);
      const x1 = a.x + NODE_W / 2, y1 = a.y - a.height / 2 + HEAD_H / 2, x2 = b.x - NODE_W / 2, y2 = b.y - b.height / 2 + HEAD_H / 2;
      const dim = hl && !(hl.assets.has(e.from) && hl.assets.has(e.to));
      edgeLayer.append(svg("path", { class: `tedge${dim ? " dim" : ""}`, "data-from": e.from, "data-to": e.to, d: curve(x1, y1, x2, y2), "marker-end": "url(#arrow)" }));
    }

    for (const a of S.assets.values()) {
      const n = g.node(a.key);
      const x = n.x - NODE_W / 2, y = n.y - n.height / 2;
      const cls = ["node"];
      if (a.key === S.selected) cls.push("selected");
      if (sev && sev.has(a.key)) cls.push(`sev-${sev.get(a.key)}`);
      if (S.impact && S.impact.asset === a.key) cls.push("changed");
      if (S.diff && S.diff.byAsset.has(a.key)) cls.push(`diff-${S.diff.byAsset.get(a.key).status}`);
      if (hl && !hl.assets.has(a.key)) cls.push("dim");
      const grp = svg("g", { class: cls.join(" "), "data-key": a.key, transform: `translate(${x},${y})` });
      grp.append(svg("rect", { class: "box", width: NODE_W, height: n.height }));
      const head = svg("g", { class: "head" });
      head.append(svg("rect", { width: NODE_W, height: HEAD_H, fill: "transparent" }));
      head.append(svg("text", { class: "name", x: 10, y: 18 }, short(a.key, 34)));
      const sub = [a.asset_type, ...a.kinds].join(" · ") + (a.owners.length ? `  ·  ${a.owners[0]}` : "");
      head.append(svg("text", { class: "sub", x: 10, y: 34 }, short(sub, 44)));
      head.append(svg("title", {}, `${a.key}\n${a.asset_type}${a.kinds.length ? " · " + a.kinds.join(", ") : ""}\n${a.columns.length} columns${a.owners.length ? "\nowners: " + a.owners.join(", ") : ""}`));
      head.addEventListener("click", (ev) => { ev.stopPropagation(); onAssetClick(a.key); });
      grp.append(head);
      let cy = HEAD_H;
      for (const c of a._cols) {
        const id = colId(a.key, c.name);
        const ccls = ["col"];
        if (hl) { if (id === hl.root) ccls.push("hl-root"); else if (hl.up.has(id)) ccls.push("hl-up"); else if (hl.down.has(id)) ccls.push("hl-down"); }
        const row = svg("g", { class: ccls.join(" "), "data-col": id, "data-asset": a.key, "data-column": c.name, transform: `translate(0,${cy})` });
        row.append(svg("rect", { x: 1, width: NODE_W - 2, height: ROW_H }));
        row.append(svg("text", { class: "cname", x: 12, y: 14 }, short(c.name, 24)));
        row.append(svg("text", { class: "type", x: NODE_W - 10, y: 14 }, short(c.data_type || "", 14)));
        row.append(svg("title", {}, `${a.key}.${c.name}${c.data_type ? " : " + c.data_type : ""}${c.description ? "\n" + c.description : ""}`));
        row.addEventListener("click", (ev) => { ev.stopPropagation(); select(a.key, c.name, { keepView: true }); });
        grp.append(row);
        rowY.set(id.toLowerCase(), [x, x + NODE_W, y + cy + ROW_H / 2]);
        cy += ROW_H;
      }
      rowY.set(colId(a.key, "*").toLowerCase(), [x, x + NODE_W, y + HEAD_H / 2]);
      if (a._more && (a._cols.length || S.expanded.has(a.key) || (hl && hl.assets.has(a.key)))) {
        const more = svg("g", { class: "more", transform: `translate(0,${cy})` });
        more.append(svg("text", { x: 12, y: 14 }, `+ ${a._more} more column${a._more > 1 ? "s" : ""}`));
        grp.append(more);
      }
      if (a.hidden_parents) grp.append(expander(-10, HEAD_H / 2, a.hidden_parents, () => expand(a.key, "upstream"), "upstream"));
      if (a.hidden_children) grp.append(expander(NODE_W + 10, HEAD_H / 2, a.hidden_children, () => expand(a.key, "downstream"), "downstream"));
      nodeLayer.append(grp);
    }

    if (S.colLineage) {
      for (const e of S.colLineage.edges) {
        const a = rowY.get(colId(e.from.asset, e.from.column).toLowerCase()) || rowY.get(colId(e.from.asset, "*").toLowerCase());
        const b = rowY.get(colId(e.to.asset, e.to.column).toLowerCase()) || rowY.get(colId(e.to.asset, "*").toLowerCase());
        if (!a || !b) continue;
        const kcls = e.indirect ? "indirect" : (KIND_CLASS[e.kind] ? e.kind : "transformation");
        const x1 = a[1], y1 = a[2], x2 = b[0], y2 = b[2];
        colLayer.append(svg("path", {
          class: `cedge ${kcls}`, "data-from": colId(e.from.asset, e.from.column), "data-to": colId(e.to.asset, e.to.column),
          "data-kind": e.kind, "data-direction": e.direction, d: curve(x1, y1, x2, y2),
        }));
        const t = e.indirect ? 0.3 : 0.5;  // indirect labels off-centre: they often share a gap with a direct one
        const mx = x1 + (x2 - x1) * t, my = y1 + (y2 - y1) * (t === 0.5 ? 0.5 : 0.216), w = e.kind.length * 6 + 8;
        const lab = svg("g", { class: "elabel", transform: `translate(${mx},${my})` });
        lab.append(svg("rect", { x: -w / 2, y: -8, width: w, height: 14, rx: 3 }));
        lab.append(svg("text", { class: `k ${kcls}`, y: 3, fill: "currentColor" }, e.kind));
        colLayer.append(lab);
      }
    }
    $("stats").textContent = `${S.assets.size} of ${S.index.n_assets} assets shown`;
    if (fit) fitView();
    else applyTransform();
  }

  function expander(cx, cy, n, onClick, direction) {
    const gg = svg("g", { class: "expand", "data-expand": direction, transform: `translate(${cx},${cy})` });
    gg.append(svg("circle", { r: 9 }));
    gg.append(svg("text", { y: 3.5 }, n > 99 ? "+" : `+${n}`));
    gg.append(svg("title", {}, `show ${n} more ${direction} asset${n > 1 ? "s" : ""}`));
    gg.addEventListener("click", (ev) => { ev.stopPropagation(); onClick(); });
    return gg;
  }

  function curve(x1, y1, x2, y2) {
    const dx = Math.max(40, Math.abs(x2 - x1) / 2);
    return `M${x1},${y1} C${x1 + dx},${y1} ${x2 - dx},${y2} ${x2},${y2}`;
  }

  function onAssetClick(key) {
    if (S.selected === key && !S.column) {
      if (S.expanded.has(key)) S.expanded.delete(key); else S.expanded.add(key);
    } else {
      S.expanded.add(key);
    }
    select(key, null, { keepView: true });
  }

  // --- pan and zoom ------------------------------------------------------------------------

  function applyTransform() {
    const t = S.transform;
    $("viewport").setAttribute("transform", `translate(${t.x},${t.y}) scale(${t.k})`);
  }
  function fitView() {
    const g = S.layout;
    if (!g) return;
    const box = $("graph").getBoundingClientRect();
    const gw = g.graph().width || 1, gh = g.graph().height || 1;
    const k = Math.min(1.2, Math.max(0.15, Math.min(box.width / gw, box.height / gh)));
    S.transform = { k, x: (box.width - gw * k) / 2, y: Math.max(0, (box.height - gh * k) / 2) };
    applyTransform();
  }
  function setupPanZoom() {
    const s = $("graph");
    let drag = null;
    s.addEventListener("mousedown", (ev) => { drag = { x: ev.clientX, y: ev.clientY, t: { ...S.transform }, moved: false }; s.classList.add("panning"); });
    window.addEventListener("mousemove", (ev) => {
      if (!drag) return;
      const dx = ev.clientX - drag.x, dy = ev.clientY - drag.y;
      if (Math.abs(dx) + Math.abs(dy) > 3) drag.moved = true;
      S.transform = { k: drag.t.k, x: drag.t.x + dx, y: drag.t.y + dy };
      applyTransform();
    });
    window.addEventListener("mouseup", () => { drag = null; s.classList.remove("panning"); });
    s.addEventListener("wheel", (ev) => {
      ev.preventDefault();
      const r = s.getBoundingClientRect(), px = ev.clientX - r.left, py = ev.clientY - r.top;
      const t = S.transform, k = Math.min(3, Math.max(0.1, t.k * Math.exp(-ev.deltaY / 400)));
      S.transform = { k, x: px - (px - t.x) * (k / t.k), y: py - (py - t.y) * (k / t.k) };
      applyTransform();
    }, { passive: false });
    const defs = svg("defs", {});
    const m = svg("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" });
    m.append(svg("path", { d: "M0,0 L10,5 L0,10 z", fill: "#afb8c1" }));
    defs.append(m);
    s.prepend(defs);
  }

  // --- side panels -------------------------------------------------------------------------

  function badges(a) {
    return el("div", { class: "badges" },
      el("span", { class: "badge type" }, a.asset_type),
      a.kinds.map((k) => el("span", { class: "badge" }, k)),
      a.owners.map((o) => el("span", { class: "badge owner", title: "owner" }, o)),
      a.group ? el("span", { class: "badge", title: "group" }, `group: ${a.group}`) : null);
  }

  function sourcesText(c) {
    const bits = c.sources.map((s) => el("span", { class: `badge kind-${s.kind}`, title: s.kind }, `${s.asset}.${s.column} (${s.kind})`));
    const ind = c.indirect.map((s) => el("span", { class: "badge indirect", title: `indirect: ${s.kind}` }, `${s.asset}.${s.column} (${s.kind})`));
    return [...bits, ...ind];
  }

  function showAsset(key) {
    const a = S.assets.get(key);
    const p = $("asset-panel");
    if (!a) { fill(p, el("p", { class: "muted" }, "Unknown asset.")); return; }
    const links = el("div", { class: "links" });
    if (a.dagster_url) links.append(el("a", { href: a.dagster_url, target: "_blank", rel: "noopener", id: "dagster-link" }, "Open in Dagster ↗"));
    const rows = a.columns.map((c) => el("tr", {
      class: S.column && c.name.toLowerCase() === S.column.toLowerCase() ? "selected" : null, "data-column": c.name,
      onclick: () => select(key, c.name, { keepView: true }),
    }, el("td", {}, el("code", {}, c.name)), el("td", { class: "muted" }, c.data_type || "?"), el("td", {}, el("div", { class: "badges" }, sourcesText(c)))));
    fill(p, 
      el("h2", { id: "asset-title" }, a.key), badges(a),
      a.description ? el("p", {}, a.description) : null,
      a.source_ref ? el("div", { class: "muted" }, "source: ", el("code", {}, a.source_ref)) : null,
      a.code_checksum ? el("div", { class: "muted", title: a.code_checksum }, "code checksum: ", el("code", {}, a.code_checksum.slice(0, 12))) : null,
      links,
      el("h3", {}, `Columns (${a.columns.length})`),
      a.columns.length ? el("table", { class: "cols" }, el("thead", {}, el("tr", {}, el("th", {}, "column"), el("th", {}, "type"), el("th", {}, "from"))), el("tbody", {}, rows))
        : el("p", { class: "muted" }, "No columns recorded."),
      a.reads.length ? [el("h3", {}, "Columns only read"), el("div", { class: "badges" }, a.reads.map((r) => el("span", { class: "badge indirect" }, `${r.asset}.${r.column} (${r.kind})`)))] : null,
      a.unknowns.length ? [el("h3", {}, "Not understood"), el("ul", {}, a.unknowns.map((u) => el("li", {}, u.column ? `${u.column}: ${u.reason}` : u.reason)))] : null,
    );
  }

  function showColumn() {
    const p = $("column-panel");
    const L = S.colLineage;
    p.hidden = !L;
    if (!L) return;
    const name = colId(L.column.asset, L.column.column);
    const line = (path, arrow) => {
      const how = path.how || path.clause || path.kind;
      const dashed = path.clause || path.indirect;
      return el("div", { class: "path", "data-direction": path.direction, "data-end": path.path[path.path.length - 1] },
        path.path.join(arrow), " ", el("span", { class: `badge ${dashed ? "indirect" : "kind-" + path.kind}` }, how));
    };
    const ind = L.edges.filter((e) => e.indirect);
    fill(p, 
      el("h2", { id: "column-title" }, `Column ${name}`),
      el("h3", {}, `Upstream (${L.upstream.length})`),
      L.upstream.length ? L.upstream.map((x) => line(x, " ← ")) : el("p", { class: "muted" }, "No upstream column recorded (a source, or lineage not known)."),
      el("h3", {}, `Downstream (${L.downstream.length})`),
      L.downstream.length ? L.downstream.map((x) => line(x, " → ")) : el("p", { class: "muted" }, "Nothing downstream uses this column."),
      ind.length ? [el("h3", {}, "Indirect (shapes without flowing in)"), ind.map((e) => el("div", { class: "path" },
        `${colId(e.from.asset, e.from.column)} ⇢ ${colId(e.to.asset, e.to.column)} `, el("span", { class: "badge indirect" }, e.kind)))] : null,
    );
  }

  function showImpactForm() {
    const p = $("impact-panel");
    const a = S.assets.get(S.selected);
    p.hidden = !a;
    if (!a) return;
    const sel = $("change-column");
    const prev = sel.value;
    sel.replaceChildren(...a.columns.map((c) => el("option", { value: c.name }, c.name)));
    if (S.column) sel.value = a.columns.find((c) => c.name.toLowerCase() === S.column.toLowerCase())?.name || sel.value;
    else if (prev && a.columns.some((c) => c.name === prev)) sel.value = prev;
    if (S.changesFor !== a.key) { S.changes = []; S.changesFor = a.key; drawChanges(); }
    onChangeType();
    $("simulate").textContent = source.canImpact ? `Simulate impact on ${a.key}` : "Show the CLI command";
  }

  function onChangeType() {
    const t = $("change-type").value;
    const needsCol = t.startsWith("column_"), needsVal = t !== "column_drop" && t !== "table_drop";
    $("change-column").hidden = !needsCol || t === "column_add";
    $("change-value").hidden = !needsVal;
    $("change-value").placeholder = { column_rename: "new name", column_type_change: "new type", column_add: "column:type", table_rename: "new table name" }[t] || "";
  }

  function formChange() {
    const t = $("change-type").value, col = $("change-column").value, val = $("change-value").value.trim();
    if (t === "column_rename") return val ? { type: t, from: col, to: val } : null;
    if (t === "column_drop") return col ? { type: t, column: col } : null;
    if (t === "column_type_change") return val ? { type: t, column: col, data_type: val } : null;
    if (t === "column_add") { const [c, ty] = val.split(":"); return c ? Object.assign({ type: t, column: c.trim() }, ty ? { data_type: ty.trim() } : {}) : null; }
    if (t === "table_rename") return val ? { type: t, to: val } : null;
    return { type: "table_drop" };
  }

  function describe(c) {
    return {
      column_rename: () => `rename ${c.from} → ${c.to}`, column_drop: () => `drop ${c.column}`,
      column_type_change: () => `retype ${c.column} → ${c.data_type}`, column_add: () => `add ${c.column}${c.data_type ? ": " + c.data_type : ""}`,
      table_rename: () => `rename table → ${c.to}`, table_drop: () => "drop table",
    }[c.type]();
  }

  function drawChanges() {
    $("change-list").replaceChildren(...S.changes.map((c, i) => el("li", {}, describe(c),
      el("button", { type: "button", title: "remove", onclick: () => { S.changes.splice(i, 1); drawChanges(); } }, "×"))));
  }

  function cliCommand(body) {
    const q = (s) => /^[\w./:-]+$/.test(s) ? s : `'${s.replace(/'/g, "'\\''")}'`;
    const parts = ["dagster-lineage", "impact", q(body.asset)];
    for (const c of body.changes || []) {
      if (c.type === "column_rename") parts.push("--rename", q(`${c.from}:${c.to}`));
      else if (c.type === "column_drop") parts.push("--drop", q(c.column));
      else if (c.type === "column_type_change") parts.push("--type-change", q(`${c.column}:${c.data_type}`));
      else if (c.type === "column_add") parts.push("--add", q(c.data_type ? `${c.column}:${c.data_type}` : c.column));
      else if (c.type === "table_rename") parts.push("--rename-table", q(c.to));
      else parts.push("--drop-table");
    }
    if (body.sql) parts.push("--sql", "migration.sql", ...(body.dialect ? ["--dialect", body.dialect] : []));
    return parts.join(" ");
  }

  async function simulate() {
    const a = S.assets.get(S.selected);
    if (!a) return;
    const changes = S.changes.length ? S.changes.slice() : [formChange()].filter(Boolean);
    const sql = $("migration-sql").value.trim();
    const body = { asset: a.key };
    if (changes.length && !(sql && !S.changes.length && $("migration").open)) body.changes = changes;
    if (sql && $("migration").open) { body.sql = sql; if ($("migration-dialect").value) body.dialect = $("migration-dialect").value; }
    const out = $("impact-result");
    if (!source.canImpact) {
      fill(out, el("p", {}, "This static site has no analysis engine. Run the same analysis with:"),
        el("div", { class: "cli mono", id: "cli-command" }, cliCommand(body)),
        el("p", { class: "muted" }, "or start the explorer with dagster-lineage serve."));
      return;
    }
    fill(out, el("p", { class: "muted" }, "Analysing…"));
    try {
      const report = await source.impact(body);
      S.impact = report;
      // bring the blast radius into view (the nearest ones when it is large)
      const missing = report.affected_assets.map((x) => x.asset).filter((k) => !S.assets.has(k)).slice(0, 60);
      const answers = await Promise.all(missing.map((k) => source.lineage(k, "both", 0)));
      for (const ans of answers) merge(ans, false);
      drawReport(report);
      render(missing.length > 0);  // refit when the blast radius brought new assets in
    } catch (e) {
      S.impact = null;
      fill(out, el("p", { class: "error-line", id: "impact-error" }, String(e.message || e)));
      render(false);
    }
  }

  function drawReport(r) {
    const out = $("impact-result");
    const rows = r.affected_assets.map((x) => el("tr", { class: `sev-${x.severity}`, "data-asset": x.asset, "data-severity": x.severity },
      el("td", {}, el("a", { href: "#", onclick: (ev) => { ev.preventDefault(); openAsset(x.asset); } }, x.asset), x.is_exposure ? " (exposure)" : ""),
      el("td", { class: "sev" }, x.severity),
      el("td", {}, x.referenced_columns.map((c) => el("code", {}, c + " "))),
      el("td", {}, x.owners.join(", ") || "–")));
    const refs = r.affected_assets.map((x) => el("div", {}, el("strong", {}, x.asset),
      el("ul", {}, x.references.map((ref) => el("li", { class: `sev-${ref.severity}` },
        el("span", { class: "sev" }, ref.severity), ` ${ref.usage} `, el("code", {}, ref.column), ref.output_column ? ` → ${ref.output_column}` : "", ` — ${ref.reason}`)))));
    fill(out, 
      el("p", {}, "Risk ", el("span", { class: `risk risk-${r.risk_level}`, id: "risk-level" }, r.risk_level.toUpperCase()),
        ` · ${r.summary.affected} affected: ${r.summary.breaking} breaking, ${r.summary.warning} warning`),
      el("div", { class: "muted" }, r.changes.map((c) => c.description).join("; ")),
      r.risk_reasons.length ? el("ul", {}, r.risk_reasons.map((x) => el("li", {}, x))) : null,
      r.affected_assets.length ? el("table", { id: "impact-table" }, el("thead", {}, el("tr", {}, el("th", {}, "asset"), el("th", {}, "severity"), el("th", {}, "references"), el("th", {}, "owners"))), el("tbody", {}, rows))
        : el("p", {}, "No downstream asset is affected."),
      r.affected_assets.length ? el("details", {}, el("summary", {}, "References"), refs) : null,
      r.unknowns.length ? [el("h3", {}, "Unknowns (lineage incomplete)"), el("ul", {}, r.unknowns.map((u) => el("li", {}, `${u.asset}: ${u.reason}`)))] : null,
      el("p", {}, el("strong", {}, "Owners to notify: "), r.owners_to_notify.join(", ") || "none recorded"),
    );
  }

  function showDiff(d) {
    S.diff = { data: d, byAsset: new Map((d.changed_assets || []).map((a) => [a.asset, a])) };
    const p = $("diff-panel");
    p.hidden = false;
    const rows = (d.changed_assets || []).map((a) => el("tr", { class: `diff-${a.status}`, "data-asset": a.asset, "data-status": a.status },
      el("td", {}, el("a", { href: "#", onclick: (ev) => { ev.preventDefault(); openAsset(a.asset); } }, a.asset)),
      el("td", {}, a.status), el("td", {}, a.category),
      el("td", {}, (a.columns || []).map((c) => c.description).join("; "))));
    fill(p, el("h2", {}, "Diff against the base state"),
      rows.length ? el("table", { id: "diff-table" }, el("thead", {}, el("tr", {}, el("th", {}, "asset"), el("th", {}, "status"), el("th", {}, "category"), el("th", {}, "columns"))), el("tbody", {}, rows))
        : el("p", {}, "No asset changed."),
      el("details", {}, el("summary", {}, "Full report"), el("pre", { class: "cli mono" }, d.text || "")));
  }

  // --- search ------------------------------------------------------------------------------

  function setupSearch() {
    const input = $("search"), list = $("results");
    let active = -1, items = [];
    const run = () => {
      const q = input.value.trim().toLowerCase();
      if (!q) { list.hidden = true; return; }
      const terms = q.split(/\s+/);
      items = S.index.assets.filter((a) => {
        const hay = `${a.key} ${a.asset_type} ${a.kinds.join(" ")} ${a.owners.join(" ")} ${a.group || ""}`.toLowerCase();
        return terms.every((t) => hay.includes(t));
      }).sort((a, b) => (b.name.toLowerCase() === q) - (a.name.toLowerCase() === q) || a.key.length - b.key.length).slice(0, 40);
      active = items.length ? 0 : -1;
      list.replaceChildren(...(items.length ? items.map((a, i) => el("li", { class: i === active ? "active" : null, "data-key": a.key, onmousedown: (ev) => { ev.preventDefault(); choose(a.key); } },
        el("span", {}, a.key), el("span", { class: "meta" }, [a.asset_type, ...a.kinds, ...a.owners].join(" · ")))) : [el("li", { class: "muted" }, "no asset matches")]));
      list.hidden = false;
    };
    const choose = (key) => { list.hidden = true; input.value = ""; openAsset(key, { depth: undefined }); };
    input.addEventListener("input", run);
    input.addEventListener("keydown", (ev) => {
      if (ev.key === "Enter" && items[active]) choose(items[active].key);
      else if (ev.key === "ArrowDown" || ev.key === "ArrowUp") {
        ev.preventDefault();
        active = (active + (ev.key === "ArrowDown" ? 1 : -1) + items.length) % Math.max(1, items.length);
        [...list.children].forEach((li, i) => li.classList.toggle("active", i === active));
      } else if (ev.key === "Escape") list.hidden = true;
    });
    input.addEventListener("blur", () => setTimeout(() => { list.hidden = true; }, 100));
  }

  // --- start -------------------------------------------------------------------------------

  async function start() {
    setupPanZoom();
    setupSearch();
    $("fit").addEventListener("click", fitView);
    $("change-type").addEventListener("change", onChangeType);
    $("change-add").addEventListener("click", () => { const c = formChange(); if (c) { S.changes.push(c); drawChanges(); } });
    $("simulate").addEventListener("click", simulate);
    $("direction").addEventListener("change", () => S.selected && openAsset(S.selected, { reload: true }));
    $("depth").addEventListener("change", () => S.selected && openAsset(S.selected, { reload: true }));
    document.addEventListener("keydown", (ev) => { if (ev.key === "/" && document.activeElement !== $("search") && !/INPUT|TEXTAREA|SELECT/.test(document.activeElement.tagName)) { ev.preventDefault(); $("search").focus(); } });
    try {
      S.index = await source.index();
    } catch (e) { message(`Cannot load the lineage: ${e.message || e}`, true); return; }
    document.title = S.index.title || document.title;
    if (S.index.has_diff) {
      try { showDiff(await source.diff()); } catch (e) { message(`Cannot load the diff: ${e.message || e}`, true); }
    }
    for (const a of S.index.assets) S.summaries.set(a.key, a);
    const h = new URLSearchParams(location.hash.slice(1));
    const key = h.get("asset") && S.summaries.has(h.get("asset")) ? h.get("asset") : S.index.start;
    if (!key) { message("This code location has no assets."); return; }
    const depth = h.get("asset") ? undefined : S.index.start_depth;
    if (depth === null) $("depth").value = "all"; else if (depth !== undefined) $("depth").value = String(depth);
    await openAsset(key, { column: h.get("column"), depth: depth === undefined ? undefined : depth });
    window.__lineageReady = performance.now();
    document.body.dataset.ready = "1";
  }

  start();
})();
