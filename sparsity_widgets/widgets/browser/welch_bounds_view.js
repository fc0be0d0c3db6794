// The Welch-bounds widget's view: structure buttons, sliders for d, k and the depth, the bounds
// as text and two SVG panels (over k and over the depth, the current setting marked), all
// recomputed in the browser by welchBoundsShown (welch_bounds.js, concatenated before this file).
// Minima come from the precomputed grid; off the grid the page says "not precomputed".

const WB_KEYS = ["structure", "d", "k", "depth"];

const wbFmt = (v) => (Number.isFinite(v) ? v.toExponential(3) : "n/a");

function wbPanel(svg, box, className, x, curves, current, xLabel) {
  const values = [];
  for (const c of curves) values.push(...c.y);
  const [, hi] = extent(values);
  // integer ticks: the most intervals (at most 8) that divide the span
  const span = x[x.length - 1] - x[0];
  let xTicks = Math.max(1, Math.min(8, span));
  while (span > 0 && span % xTicks !== 0) xTicks -= 1;
  linePanel(svg, box, {
    className, xRange: [x[0], Math.max(x[x.length - 1], x[0] + 1)],
    yRange: [0, Math.max(hi, 1e-6)], xTicks,
    xLabel, yLabel: "F^2 (bounds and minima)", xFormat: (v) => v.toFixed(0),
    yFormat: (v) => v.toFixed(3),
    series: curves.filter((c) => !c.pointsOnly).map((c) => ({ x, y: c.y, color: c.color,
      dash: c.dash, className: c.className })),
    points: curves.filter((c) => c.pointsOnly).flatMap((c) =>
      x.map((xv, i) => ({ x: xv, y: c.y[i], color: c.color, className: c.className, r: 3.2 }))),
    vlines: [{ x: current, className: "sw-current" }],
  });
}

function wbLegend(svg, x, y) {
  const items = [
    ["Welch bound (d, k)", COLORS.curve, "none"],
    ["chain bound", COLORS.second, "6 3"],
    ["Welch bound of the induced shape", COLORS.window, "2 2"],
    ["min F^2 (precomputed)", COLORS.pick, null],
  ];
  items.forEach(([text, color, dash], i) => {
    const yy = y + 14 * i;
    if (dash === null) {
      svgEl("circle", { cx: x + 10, cy: yy - 4, r: 3.2, fill: color }, svg);
    } else {
      svgEl("line", { x1: x, x2: x + 20, y1: yy - 4, y2: yy - 4, stroke: color,
        "stroke-width": 1.5, "stroke-dasharray": dash }, svg);
    }
    svgEl("text", { x: x + 26, y: yy, "font-size": 10 }, svg).textContent = text;
  });
}

function wbDraw(svg, shown, s) {
  svg.replaceChildren();
  if (!shown.ok) {
    const t = svgEl("text", { x: 20, y: 120, "font-size": 12, fill: COLORS.error }, svg);
    t.textContent = "no bounds for this setting (see the message above)";
    return;
  }
  const overK = [
    { y: shown.welch_over_k, color: COLORS.curve, className: "sw-welch" },
    { y: shown.chain_over_k, color: COLORS.second, dash: "6 3", className: "sw-chain" },
    { y: shown.induced_over_k, color: COLORS.window, dash: "2 2", className: "sw-induced" },
    { y: shown.min_f2_over_k, color: COLORS.pick, pointsOnly: true, className: "sw-min" },
  ];
  wbPanel(svg, [50, 22, 300, 180], "sw-panel-k", shown.k_values, overK, s.k,
    `k (d = ${s.d}, depth ${s.depth})`);
  const overDepth = [
    { y: shown.chain_over_depth, color: COLORS.second, dash: "6 3", className: "sw-chain" },
    { y: shown.induced_over_depth, color: COLORS.window, dash: "2 2", className: "sw-induced" },
    { y: shown.min_f2_over_depth, color: COLORS.pick, pointsOnly: true, className: "sw-min" },
  ];
  wbPanel(svg, [430, 22, 300, 180], "sw-panel-depth", shown.depth_values, overDepth, s.depth,
    `depth (d = ${s.d}, k = ${s.k})`);
  wbLegend(svg, 60, 262);
}

function wbSummary(shown, s) {
  const lines = [];
  lines.push(
    `${s.structure} network, widths (${shown.widths.join(", ")}): induced dictionary ` +
      `${shown.n_rows} x ${shown.n_atoms}, N(G) = ${shown.n_nonzero}`,
  );
  lines.push(
    `Welch bound for (d, k) = (${s.d}, ${s.k}): ${wbFmt(shown.welch)} · Welch bound of an ` +
      `unstructured ${shown.n_rows} x ${shown.n_atoms} dictionary: ${wbFmt(shown.welch_induced)}`,
  );
  const applies = shown.is_chain ? "a bound for this network" : "not a bound for this structure";
  lines.push(`chain bound for these widths: ${wbFmt(shown.chain_bound)} (${applies})`);
  return lines;
}

function render({ model, el }) {
  const root = widgetRoot(el, model, "welch-bounds", "sw-welch-bounds");
  const grid = model.get("grid");
  const limits = { d_max: model.get("d_max"), k_max: model.get("k_max"),
    depth_max: model.get("depth_max") };
  const structure = buttonControl(root, model, "structure",
    [["chain", "chain"], ["residual", "residual"], ["dense", "dense"]], { label: "structure" });
  const sliders = [
    ["d", "d (input)", 1, limits.d_max],
    ["k", "k (width)", 2, limits.k_max],
    ["depth", "depth", 1, limits.depth_max],
  ].map(([key, label, min, max]) => rangeControl(root, model, key, { label, min, max, step: 1 }));
  const result = htmlEl("div", { class: "sw-result", style: "margin-top:4px" }, root);
  const minima = htmlEl("div", { class: "sw-minima" }, root);
  const python = pythonLine(root);
  const svg = plotSvg(root, 750, 320);

  function update() {
    const s = Object.fromEntries(WB_KEYS.map((k) => [k, model.get(k)]));
    const shown = welchBoundsShown({ ...s, ...limits, grid });
    structure.refresh();
    for (const control of sliders) control.refresh();
    result.replaceChildren();
    minima.replaceChildren();
    if (!shown.ok) {
      const b = htmlEl("b", { style: `color:${COLORS.error}` }, result, "no bounds");
      b.after(`: ${shown.message}`);
    } else {
      for (const line of wbSummary(shown, s)) htmlEl("div", {}, result, line);
      if (shown.precomputed) {
        const stop = shown.converged ? "converged" : `stopped after ${grid.max_iter} iterations`;
        minima.textContent =
          `min F^2 found ${wbFmt(shown.min_f2)} (L-BFGS, ${stop}), its mu^2 ` +
          `${wbFmt(shown.optimised_mu2)} · random dictionary: mu^2 ${wbFmt(shown.random_mu2)}, ` +
          `F^2 ${wbFmt(shown.random_f2)}`;
      } else {
        htmlEl("span", { style: `color:${COLORS.muted}` }, minima, shown.lookup_message);
      }
    }
    minima.dataset.precomputed = String(shown.precomputed);
    updatePythonLine(python, model, s, (py) =>
      py.ok ? `chain bound ${wbFmt(Number(py.chain_bound))}, Welch ${wbFmt(Number(py.welch))}`
        : "no bounds either");
    publish(root, s, shown);
    wbDraw(svg, shown, s);
  }

  const cleanup = bindModel(model, WB_KEYS, update);
  update();
  return cleanup;
}

export default { render };
