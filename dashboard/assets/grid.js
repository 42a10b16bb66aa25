/* 北疆数字经济监测 — the tables' cell renderers (dash-ag-grid looks them up here by name: no code is evaluated).
   DemStatus: a progress status as status_text writes it ('▲ 进展顺利 · 目标仅经二手来源核实') with its symbol in
   the status colour and the words in ink, as status_badge does (dashboard/components.py); the colours come with
   the column ({symbol: colour}, from dashboard/style.py STATUS_STYLE). Text without a known symbol stays as is. */
window.dashAgGridComponentFunctions = Object.assign({}, window.dashAgGridComponentFunctions, {
  DemStatus: function (props) {
    const text = props.value === null || props.value === undefined ? "" : String(props.value);
    const symbol = text.charAt(0);
    const colour = (props.colours || {})[symbol];
    if (!colour) { return text; }
    const h = window.React.createElement;
    return h("span", null, h("span", { className: "status-symbol", style: { color: colour }, "aria-hidden": "true" },
                             symbol), text.slice(1));
  }
});
