// The sawtooth widget's view: sliders for j and alpha, Lambda_j and the growth of its Besov
// semi-norm as SVG, all recomputed in the browser by sawtoothShown (sawtooth_window.js,
// concatenated before this file into one module). It runs wherever anywidget's front-end runs:
// JupyterLab, Voila, and the static book (no kernel).

const SAW_SETTING_KEYS = ["j", "alpha"];

// the read-out: the picture's facts, then (when alpha allows) the semi-norm and its growth
function sawSummary(shown, s) {
  const lines = [
    `Lambda_${s.j}: ${shown.teeth} teeth, realised exactly by a ReLU network of ` +
      `${shown.layers} layers (width 3)`,
  ];
  if (shown.ok) {
    const rate = Number.isFinite(shown.slope)
      ? `log2 N_tau grows with slope ${shown.slope.toFixed(4)} per step of j ` +
        `(alpha = ${s.alpha.toFixed(2)})`
      : "a growth rate needs j >= 2";
    lines.push(
      `N_tau(Lambda_${s.j}) = ${shown.seminorm.toPrecision(6)}, tau = ${shown.tau.toFixed(4)} ` +
        `(1/tau = alpha + 1/2) · ${rate} · N_tau / 2^(j alpha) = ${shown.constant.toFixed(4)}`,
    );
  }
  return lines;
}

function sawDraw(svg, shown, s, jMax) {
  svg.replaceChildren();
  if (shown.x.length === 0) {
    const t = svgEl("text", { x: 20, y: 110, "font-size": 12, fill: COLORS.error }, svg);
    t.textContent = "nothing to draw for this setting (see the message above)";
    return;
  }
  // beyond about 150 teeth a tooth is narrower than a pixel of the panel
  const dense = shown.teeth > 150 ? " (teeth narrower than a pixel)" : "";
  linePanel(svg, [50, 22, 300, 190], {
    className: "sw-panel-sawtooth", xRange: [0, 1], yRange: [0, 1], xLabel: "x",
    yLabel: `Lambda_${s.j}(x)${dense}`,
    series: [{ x: shown.x, y: shown.f, color: COLORS.curve, width: s.j > 7 ? 0.6 : 1.5 }],
  });
  if (!shown.ok) {
    const t = svgEl("text", { x: 400, y: 110, "font-size": 12, fill: COLORS.error }, svg);
    t.textContent = "no semi-norm for this alpha (see the message above)";
    return;
  }
  // the reference line alpha (j - 1) + log2 N_tau(Lambda_1) over the whole slider
  const refX = [];
  const refY = [];
  for (let i = 1; i <= jMax; i++) {
    refX.push(i);
    refY.push(shown.log2_growth[0] + s.alpha * (i - 1));
  }
  const yRange = extent([...shown.log2_growth, ...refY]);
  // integer ticks: every j up to 12 intervals, every second j beyond
  const xEnd = jMax + 1 <= 12 ? jMax + 1 : 2 * Math.ceil((jMax + 1) / 2);
  linePanel(svg, [430, 22, 300, 190], {
    className: "sw-panel-growth", xRange: [0, xEnd], yRange,
    xLabel: "j", yLabel: "log2 N_tau(Lambda_j)", xTicks: xEnd <= 12 ? xEnd : xEnd / 2,
    xFormat: (v) => v.toFixed(0),
    series: [
      { x: refX, y: refY, color: COLORS.window, dash: "5 3", className: "sw-reference" },
      { x: shown.growth_j, y: shown.log2_growth, color: COLORS.curve, className: "sw-growth" },
    ],
    points: shown.growth_j.map((i, k) => ({
      x: i, y: shown.log2_growth[k], className: i === s.j ? "sw-pick" : "sw-point",
      color: i === s.j ? COLORS.pick : COLORS.curve, r: i === s.j ? 4 : 2.6,
    })),
  });
  svgEl("text", { x: 430, y: 260, "font-size": 10, fill: COLORS.muted }, svg).textContent =
    "dashed: slope alpha from j = 1 (the slides: N_tau ~ 2^(j alpha))";
}

function render({ model, el }) {
  const jMax = model.get("j_max");
  const root = widgetRoot(el, model, "sawtooth", "sw-sawtooth-window");
  const controls = [
    rangeControl(root, model, "j", { label: "j (hats composed)", min: 1, max: jMax, step: 1 }),
    rangeControl(root, model, "alpha", {
      label: "alpha", min: 0.05, max: 0.95, step: 0.05, format: (v) => v.toFixed(2),
    }),
  ];
  const resultLine = htmlEl("div", { class: "sw-result", style: "margin-top:4px" }, root);
  const python = pythonLine(root);
  const svg = plotSvg(root, 750, 265);
  svg.style.cssText = "max-width:100%;height:auto"; // the book's column may be narrower

  function update() {
    const s = Object.fromEntries(SAW_SETTING_KEYS.map((k) => [k, model.get(k)]));
    const shown = sawtoothShown({
      ...s, j_max: jMax, extra_levels: model.get("extra_levels"),
    });
    for (const control of controls) control.refresh();
    resultLine.replaceChildren();
    if (shown.teeth !== null) {
      for (const line of sawSummary(shown, s)) htmlEl("div", {}, resultLine, line);
    }
    if (!shown.ok) {
      const b = htmlEl("b", {}, resultLine, "no semi-norm");
      b.style.color = COLORS.error;
      htmlEl("span", { style: `color:${COLORS.error}` }, resultLine, `: ${shown.message}`);
    }
    resultLine.dataset.seminorm = shown.ok ? String(shown.seminorm) : "";
    updatePythonLine(python, model, s, (py) =>
      py.ok ? `N_tau = ${Number(py.seminorm).toPrecision(6)}, slope ` +
        `${Number.isFinite(Number(py.slope)) ? Number(py.slope).toFixed(4) : "none (j = 1)"}`
        : "no semi-norm either",
    );
    publish(root, s, shown);
    sawDraw(svg, shown, s, jMax);
  }

  const cleanup = bindModel(model, SAW_SETTING_KEYS, update);
  update();
  return cleanup;
}

export default { render };
