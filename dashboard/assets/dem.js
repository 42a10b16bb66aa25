/* 北疆数字经济监测 — browser side of the URL state (no network, no third-party code).
   Controls whose id starts with "q-" mirror their value into the address bar (?year=2023&indicator=DI-01),
   with history.replaceState so that Dash's router does not re-render the page; the language toggle's
   link is rewritten to keep the same state. A bookmarked URL rebuilds the view through layout(**query). */
window.dash_clientside = Object.assign({}, window.dash_clientside, {
  dem: {
    sync_url: function () {
      const ctx = window.dash_clientside.callback_context;
      const params = new URLSearchParams(window.location.search);
      (ctx.inputs_list || []).flat().forEach(function (item) {
        // "q-year__map" → year; a pattern-matching id {"type": "q-w", "chapter": 3} → w3
        const name = typeof item.id === "string" ? item.id : String(item.id.type || "");
        if (name.indexOf("q-") !== 0) { return; }
        const key = typeof item.id === "string" ? name.slice(2).split("__")[0] :
          name.slice(2) + Object.keys(item.id).filter(function (k) { return k !== "type"; }).sort()
            .map(function (k) { return item.id[k]; }).join("");
        let value = item.value;
        if (Array.isArray(value)) { value = value.join(","); }
        if (value === null || value === undefined || value === "") { params.delete(key); }
        else { params.set(key, String(value)); }
      });
      const search = params.toString();
      window.history.replaceState(window.history.state, "", window.location.pathname + (search ? "?" + search : ""));
      const toggle = document.getElementById("lang-toggle");
      if (toggle) {
        const other = new URLSearchParams(params);
        if ((params.get("lang") || "zh") === "en") { other.delete("lang"); } else { other.set("lang", "en"); }
        const rest = other.toString();
        toggle.setAttribute("href", window.location.pathname + (rest ? "?" + rest : ""));
      }
      return search;
    }
  }
});

/* Figures fit the screen they are on. Maps fit the screen they are on. A map figure comes from the server with a zoom for a desktop column; on a
   narrower graph (a phone: 390 px) the region would be cut off (Alxa in the west, the colour bar over the east).
   So each map is fitted to its own width once drawn: the zoom at which the region's ~31° of longitude (with a
   margin) fill the graph — MapLibre's world is 512 px wide at zoom 0. (The colour bar lies under the map at every
   width: dashboard/figures.py.) Only when the zoom is off by more than 0.05, so the relayout does not loop. */
(function () {
  const SPAN_DEGREES = 31;
  function fit(gd) {
    if (!gd.layout || !gd.layout.map || !window.Plotly) { return; }
    const width = gd.getBoundingClientRect().width;
    if (!width) { return; }
    const fitted = Math.log2(width * 360 / (512 * SPAN_DEGREES));
    const zoom = gd.layout.map.zoom;
    if (typeof zoom === "number" && zoom - fitted > 0.05) {
      window.Plotly.relayout(gd, { "map.zoom": fitted });
    }
  }
  /* A long title on a narrow graph runs into the 示例数据 badge at the top right: then the title goes to the top
     of the figure and the plot down by one line, the badge between them (once per figure from the server: its
     title is then anchored to the container, which no figure from the server is). */
  function clearBadge(gd) {
    const title = gd.querySelector(".gtitle");
    const layout = gd.layout || {};
    if (!title || !window.Plotly || (layout.title && layout.title.yref === "container")) { return; }
    const badge = Array.from(gd.querySelectorAll(".annotation")).find(function (a) {
      return a.textContent.indexOf("synthetic") !== -1;
    });
    if (!badge) { return; }
    const t = title.getBoundingClientRect(), b = badge.getBoundingClientRect();
    if (t.right > b.left && t.left < b.right && t.bottom > b.top && t.top < b.bottom) {
      window.Plotly.relayout(gd, { "margin.t": ((layout.margin && layout.margin.t) || 48) + 26, "title.yref": "container",
                                   "title.y": 1, "title.yanchor": "top", "title.pad.t": 6 });
    }
  }
  function watch(gd) {
    if (gd.demFitted) { return; }
    gd.demFitted = true;
    if (gd.on) { gd.on("plotly_afterplot", function () { fit(gd); clearBadge(gd); }); }
    fit(gd);
    clearBadge(gd);
  }
  function scan() { document.querySelectorAll(".js-plotly-plot").forEach(watch); }
  new MutationObserver(scan).observe(document.documentElement, { childList: true, subtree: true });
  window.addEventListener("resize", function () {
    document.querySelectorAll(".js-plotly-plot").forEach(fit);
  });
})();
