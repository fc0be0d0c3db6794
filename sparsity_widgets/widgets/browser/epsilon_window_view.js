// The epsilon explorer's view: sliders, the tau* read-out and Figure 4 as SVG, all recomputed in
// the browser by tauStarWindow (tau_window.js, concatenated before this file into one module).
// It runs wherever anywidget's front-end runs: JupyterLab, Voila, and the static book (no kernel).

const SVG_NS = "http://www.w3.org/2000/svg";
const ERROR_COLOR = "#b00020";
const CURVE_COLOR = "#1b374d";
const PICK_COLOR = "#d1495b";
const WINDOW_COLOR = "#edae49";

function svgEl(name, attrs, parent) {
  const el = document.createElementNS(SVG_NS, name);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (parent) parent.appendChild(el);
  return el;
}

function htmlEl(name, attrs, parent, text) {
  const el = document.createElement(name);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  if (parent) parent.appendChild(el);
  return el;
}

function extent(values) {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (Number.isFinite(v)) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
  }
  return lo <= hi ? [lo, hi] : [0, 1];
}

// one panel: axes box, ticks, a curve, selected points, the tau* line and an optional band
function drawPanel(svg, box, spec) {
  const [x0, y0, w, h] = box;
  const [xlo, xhi] = spec.xRange;
  let [ylo, yhi] = spec.yRange;
  const pad = 0.05 * Math.max(yhi - ylo, 1e-12);
  ylo -= pad;
  yhi += pad;
  const sx = (x) => x0 + ((x - xlo) / (xhi - xlo)) * w;
  const sy = (y) => y0 + h - ((y - ylo) / (yhi - ylo)) * h;
  const syClamped = (y) => sy(Math.min(Math.max(y, ylo), yhi));
  const g = svgEl("g", { class: spec.className }, svg);
  svgEl("rect", { x: x0, y: y0, width: w, height: h, fill: "white", stroke: "#999" }, g);
  // the curve is clipped to the axes, as matplotlib clips it (values above are not flattened)
  const clipId = `sw-clip-${Math.random().toString(36).slice(2)}`;
  const clip = svgEl("clipPath", { id: clipId }, svgEl("defs", {}, g));
  svgEl("rect", { x: x0, y: y0, width: w, height: h }, clip);
  const inside = svgEl("g", { "clip-path": `url(#${clipId})` }, g);
  if (spec.band) {
    const top = syClamped(spec.band[1]);
    svgEl(
      "rect",
      { x: x0, y: top, width: w, height: Math.max(syClamped(spec.band[0]) - top, 1),
        fill: WINDOW_COLOR, "fill-opacity": 0.35, class: "sw-window" },
      g,
    );
  }
  for (let k = 0; k <= 4; k++) {
    const xv = xlo + ((xhi - xlo) * k) / 4;
    const yv = ylo + ((yhi - ylo) * k) / 4;
    svgEl("text", { x: sx(xv), y: y0 + h + 14, "font-size": 10, "text-anchor": "middle" }, g)
      .textContent = xv.toFixed(2);
    svgEl("text", { x: x0 - 4, y: sy(yv) + 3, "font-size": 10, "text-anchor": "end" }, g)
      .textContent = yv.toFixed(2);
  }
  svgEl("text", { x: x0 + w / 2, y: y0 + h + 28, "font-size": 11, "text-anchor": "middle" }, g)
    .textContent = "tau";
  svgEl("text", { x: x0 + 4, y: y0 - 6, "font-size": 11 }, g).textContent = spec.yLabel;
  const points = [];
  for (let i = 0; i < spec.x.length; i++) {
    if (Number.isFinite(spec.y[i])) {
      // beyond the axes the clip path hides it; the bound only keeps coordinates small
      const y = Math.min(Math.max(sy(spec.y[i]), y0 - 10 * h), y0 + 11 * h);
      points.push(`${sx(spec.x[i]).toFixed(1)},${y.toFixed(1)}`);
    }
  }
  svgEl(
    "polyline",
    { points: points.join(" "), fill: "none", stroke: CURVE_COLOR, "stroke-width": 1.5 },
    inside,
  );
  for (const i of spec.selected) {
    if (Number.isFinite(spec.y[i])) {
      svgEl(
        "circle",
        { cx: sx(spec.x[i]), cy: sy(spec.y[i]), r: 2.6, fill: PICK_COLOR, class: "sw-pick" },
        inside,
      );
    }
  }
  if (Number.isFinite(spec.tauStar)) {
    svgEl(
      "line",
      { x1: sx(spec.tauStar), x2: sx(spec.tauStar), y1: y0, y2: y0 + h, stroke: PICK_COLOR,
        "stroke-dasharray": "4 3", class: "sw-tau-line" },
      g,
    );
  }
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
  drawPanel(svg, [50, 22, 300, 190], {
    className: "sw-panel-n", x, y: logN, xRange, yRange: extent(visible), yLabel: "log N_tau",
    selected, tauStar,
  });
  if (!drawn) {
    const t = svgEl("text", { x: 400, y: 110, "font-size": 12, fill: ERROR_COLOR }, svg);
    t.textContent = "no tau* for this setting (see the message above)";
    return;
  }
  const reach = epsMax[settings.rule];
  let lowest = settings.rule === "paper" ? -Math.PI / 2 : -90.0 - reach;
  let highest = settings.rule === "paper" ? -Math.PI / 2 + reach : -90.0 + reach;
  const [alo, ahi] = extent(result.angles);
  lowest = Math.min(lowest, alo);
  highest = Math.max(highest, ahi);
  drawPanel(svg, [430, 22, 300, 190], {
    className: "sw-panel-angle", x, y: result.angles, xRange, yRange: [lowest, highest],
    yLabel: settings.rule === "paper" ? "angle of dN/dtau [rad]" : "angle of D(tau) [deg]",
    selected, tauStar, band: result.window,
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
  const root = htmlEl("div", { class: "sw-epsilon-window" }, el);
  root.style.cssText = "border:1px solid #ddd;padding:6px;font-family:sans-serif;font-size:13px";
  htmlEl("div", { class: "sw-title", style: "font-weight:bold" }, root, model.get("title"));
  const ruleRow = htmlEl("div", { class: "sw-rule" }, root);
  const buttons = {};
  const ruleNames = [["paper", "paper rule (rad)"], ["public-code", "public-code rule (deg)"]];
  for (const [rule, text] of ruleNames) {
    const b = htmlEl("button", { type: "button", class: `sw-rule-${rule}` }, ruleRow, text);
    b.addEventListener("click", () => {
      model.set("rule", rule);
      const max = epsMax[rule];
      model.set("eps_low", Math.min(model.get("eps_low"), max));
      model.set("eps_high", Math.min(model.get("eps_high"), max));
      model.save_changes();
    });
    buttons[rule] = b;
  }
  const sliders = {};
  const readouts = {};
  const sliderRow = (key, label, min, max, step) => {
    const rowStyle = "display:flex;align-items:center;gap:8px;margin:2px 0";
    const row = htmlEl("div", { style: rowStyle }, root);
    const name = htmlEl("label", { style: "width:110px" }, row, label);
    const cls = `sw-${key.replace("_", "-")}`;
    const input = htmlEl("input", { type: "range", class: cls, min, max, step }, row);
    input.style.width = "300px";
    input.setAttribute("aria-label", key);
    name.htmlFor = input.id = `sw-${key}-${Math.random().toString(36).slice(2)}`;
    readouts[key] = htmlEl("span", { class: "sw-readout" }, row);
    input.addEventListener("input", () => {
      let value = Number(input.value);
      // keep a valid tau range: the two ends never cross
      if (key === "tau_min") value = Math.min(value, model.get("tau_max"));
      if (key === "tau_max") value = Math.max(value, model.get("tau_min"));
      const before = model.get(key);
      model.set(key, value);
      model.save_changes();
      if (before === value) update(); // no change event: put the slider back
    });
    sliders[key] = input;
  };
  const taus = curve.taus;
  sliderRow("eps_low", "eps_low", 0, epsMax[model.get("rule")], 0.01);
  sliderRow("eps_high", "eps_high", 0, epsMax[model.get("rule")], 0.01);
  sliderRow("tau_min", "tau from", taus[0], taus[taus.length - 1], 0.01);
  sliderRow("tau_max", "tau to", taus[0], taus[taus.length - 1], 0.01);
  const resultLine = htmlEl("div", { class: "sw-result", style: "margin-top:4px" }, root);
  const pythonStyle = "color:#555;font-size:12px";
  const pythonLine = htmlEl("div", { class: "sw-python", style: pythonStyle }, root);
  const svgSize = { width: 750, height: 250, viewBox: "0 0 750 250" };
  const svg = svgEl("svg", { class: "sw-plot", ...svgSize }, root);

  function settings() {
    return Object.fromEntries(SETTING_KEYS.map((k) => [k, model.get(k)]));
  }

  function update() {
    const s = settings();
    const result = tauStarWindow(curve, s.rule, s.eps_low, s.eps_high, s.tau_min, s.tau_max);
    for (const [rule, b] of Object.entries(buttons)) {
      b.style.fontWeight = rule === s.rule ? "bold" : "normal";
      b.setAttribute("aria-pressed", String(rule === s.rule));
    }
    const unit = UNITS[s.rule];
    for (const key of ["eps_low", "eps_high"]) {
      sliders[key].max = epsMax[s.rule];
      sliders[key].value = s[key];
      readouts[key].textContent = `${s[key].toFixed(2)} ${unit}`;
    }
    for (const key of ["tau_min", "tau_max"]) {
      sliders[key].value = s[key];
      readouts[key].textContent = s[key].toFixed(3);
    }
    const text = summary(result, s);
    if (text === null) {
      resultLine.replaceChildren();
      const b = htmlEl("b", {}, resultLine, "no estimate");
      b.style.color = ERROR_COLOR;
      htmlEl("span", { style: `color:${ERROR_COLOR}` }, resultLine, `: ${result.message}`);
    } else {
      resultLine.textContent = text;
    }
    resultLine.dataset.tauStar = result.ok ? String(result.tauStar) : "";
    const check = model.get("python_check") || {};
    const same = SETTING_KEYS.every((k) => check[k] === s[k]);
    if (!same) {
      pythonLine.textContent =
        "computed in this browser; no Python kernel has checked this setting";
    } else if (check.ok) {
      const value = Number(check.tau_star).toFixed(3);
      pythonLine.textContent = `Python's value for this setting: tau* = ${value}`;
    } else {
      pythonLine.textContent = "Python finds no estimate for this setting either";
    }
    pythonLine.dataset.pythonTauStar = same && check.ok ? String(check.tau_star) : "";
    drawFigure(svg, curve, result, s, epsMax);
  }

  const onChange = () => update();
  for (const key of [...SETTING_KEYS, "python_check"]) model.on(`change:${key}`, onChange);
  update();
  return () => {
    for (const key of [...SETTING_KEYS, "python_check"]) model.off(`change:${key}`, onChange);
  };
}

export default { render };
