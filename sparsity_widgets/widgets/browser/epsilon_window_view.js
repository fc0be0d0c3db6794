// The epsilon explorer's view: sliders, the tau* read-out and Figure 4 as SVG, all recomputed in
// the browser by tauStarWindow (tau_window.js, concatenated before this file into one module).
// It runs wherever anywidget's front-end runs: JupyterLab, Voila, and the static book (no kernel).

// a curve, its selected taus as points and the tau* line, as linePanel draws them
function marks(x, y, selected, tauStar) {
  return {
    series: [{ x, y, color: COLORS.curve }],
    points: selected.map((i) => ({ x: x[i], y: y[i], className: "sw-pick" })),
    vlines: [{ x: tauStar, className: "sw-tau-line" }],
  };
}

function drawFigure(svg, curve, result, settings, epsMax) {
  svg.replaceChildren();
  const drawn = result.taus !== undefined; // an estimate, or an empty window with its angles
  const logJ = Math.log(curve.n_trees);
  const x = drawn ? result.taus : curve.taus;
  const logN = drawn ? result.logSparsity : x.map((t, i) => curve.log_power_sum[i] / t - logJ);
  // as Figure 4 frames it: the y range of log N_tau from tau = 0.25 on
  const visible = x.map((t, i) => (t >= Math.min(0.25, x[x.length - 3]) ? logN[i] : NaN));
  const xRange = [x[0] - 0.02, x[x.length - 1] + 0.02];
  const selected = result.ok ? result.selected : [];
  const tauStar = result.ok ? result.tauStar : NaN;
  linePanel(svg, [50, 22, 300, 190], {
    className: "sw-panel-n", xRange, yRange: extent(visible), xLabel: "tau", yLabel: "log N_tau",
    ...marks(x, logN, selected, tauStar),
  });
  if (!drawn) {
    const t = svgEl("text", { x: 400, y: 110, "font-size": 12, fill: COLORS.error }, svg);
    t.textContent = "no tau* for this setting (see the message above)";
    return;
  }
  const reach = epsMax[settings.rule];
  let lowest = settings.rule === "paper" ? -Math.PI / 2 : -90.0 - reach;
  let highest = settings.rule === "paper" ? -Math.PI / 2 + reach : -90.0 + reach;
  const [alo, ahi] = extent(result.angles);
  lowest = Math.min(lowest, alo);
  highest = Math.max(highest, ahi);
  linePanel(svg, [430, 22, 300, 190], {
    className: "sw-panel-angle", xRange, yRange: [lowest, highest], xLabel: "tau",
    yLabel: settings.rule === "paper" ? "angle of dN/dtau [rad]" : "angle of D(tau) [deg]",
    band: result.window, ...marks(x, result.angles, selected, tauStar),
  });
}

function summary(result, settings) {
  const unit = UNITS[settings.rule];
  if (!result.ok) return null;
  let lo = Infinity;
  let hi = -Infinity;
  for (const i of result.selected) {
    lo = Math.min(lo, result.taus[i]);
    hi = Math.max(hi, result.taus[i]);
  }
  return (
    `tau* = ${result.tauStar.toFixed(3)}, alpha* = ${result.alphaStar.toFixed(3)} · ` +
    `${settings.rule} rule, eps = [${settings.eps_low.toFixed(2)}, ` +
    `${settings.eps_high.toFixed(2)}] ` +
    `${unit} · ${result.selected.length} of ${result.taus.length} taus selected, in ` +
    `[${lo.toFixed(3)}, ${hi.toFixed(3)}]`
  );
}

const SETTING_KEYS = ["rule", "eps_low", "eps_high", "tau_min", "tau_max"];

function render({ model, el }) {
  const curve = model.get("curve");
  const epsMax = model.get("eps_slider_max");
  const root = widgetRoot(el, model, "epsilon-window", "sw-epsilon-window");
  const windowControls = epsWindowControls(root, model, epsMax, UNITS);
  const taus = curve.taus;
  const tauRange = [["tau_min", "tau from"], ["tau_max", "tau to"]].map(([key, label]) =>
    rangeControl(root, model, key, {
      label, min: taus[0], max: taus[taus.length - 1], step: 0.01,
      format: (v) => v.toFixed(3),
      // keep a valid tau range: the two ends never cross
      clamp: (v) =>
        key === "tau_min" ? Math.min(v, model.get("tau_max")) : Math.max(v, model.get("tau_min")),
    }),
  );
  const resultLine = htmlEl("div", { class: "sw-result", style: "margin-top:4px" }, root);
  const python = pythonLine(root);
  const svg = plotSvg(root, 750, 250);

  function update() {
    const s = Object.fromEntries(SETTING_KEYS.map((k) => [k, model.get(k)]));
    const result = tauStarWindow(curve, s.rule, s.eps_low, s.eps_high, s.tau_min, s.tau_max);
    windowControls.refresh();
    for (const control of tauRange) control.refresh();
    const text = summary(result, s);
    if (text === null) {
      resultLine.replaceChildren();
      const b = htmlEl("b", {}, resultLine, "no estimate");
      b.style.color = COLORS.error;
      htmlEl("span", { style: `color:${COLORS.error}` }, resultLine, `: ${result.message}`);
    } else {
      resultLine.textContent = text;
    }
    resultLine.dataset.tauStar = result.ok ? String(result.tauStar) : "";
    updatePythonLine(python, model, s, (shown) =>
      shown.ok ? `tau* = ${Number(shown.tau_star).toFixed(3)}` : "no estimate either",
    );
    publish(root, s, windowShown(result));  // epsilonWindowShown, without a second estimate
    drawFigure(svg, curve, result, s, epsMax);
  }

  const cleanup = bindModel(model, SETTING_KEYS, update);
  update();
  return cleanup;
}

export default { render };
