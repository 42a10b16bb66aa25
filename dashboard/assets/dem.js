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
