// The M-term explorer's view: sliders for M and the fit range, the read-outs and a log-log plot
// of the error, the tail energy and the fitted line, all recomputed in the browser by
// mterm_window.js (concatenated before this file into one module). It runs wherever anywidget's
// front-end runs: JupyterLab, Voila, and the static book (no kernel).

const MTERM_KEYS = ["m", "m_min", "m_max"];

// The slider positions of M: indices into the stored M, log-spaced (every M while they are
// few, then about MTERM_SLIDER_STEPS positions per decade range), from index `first` on
const MTERM_SLIDER_STEPS = 400;

function mtermSliderIndices(ms, first) {
  const top = ms[ms.length - 1];
  const out = first === 0 ? [0] : [];
  const lo = Math.max(ms[first], 1);
  const span = Math.log10(top) - Math.log10(lo);
  for (let p = 0; p <= MTERM_SLIDER_STEPS; p++) {
    const i = mtermNearestIndex(ms, 10 ** (Math.log10(lo) + (span * p) / MTERM_SLIDER_STEPS));
    if (i >= first && (out.length === 0 || i > out[out.length - 1])) out.push(i);
  }
  if (out[out.length - 1] !== ms.length - 1) out.push(ms.length - 1);
  return out;
}

// a slider over the stored values of M at log-spaced positions, bound to a trait holding M
function mtermIndexSlider(parent, model, key, ms, options) {
  const { label, first = 0, clamp = (v) => v } = options;
  const positions = mtermSliderIndices(ms, first);
  const rowStyle = "display:flex;align-items:center;gap:8px;margin:2px 0";
  const row = htmlEl("div", { style: rowStyle }, parent);
  const name = htmlEl("label", { style: "min-width:110px" }, row, label);
  const input = htmlEl(
    "input",
    { type: "range", min: 0, max: positions.length - 1, step: 1,
      class: `sw-${key.replaceAll("_", "-")}` },
    row,
  );
  input.style.width = "300px";
  input.dataset.swControl = key;
  input.setAttribute("aria-label", `${key} (log scale)`);
  name.htmlFor = input.id = `sw-${key}-${Math.random().toString(36).slice(2)}`;
  const readout = htmlEl("span", { class: "sw-readout" }, row);
  function refresh() {
    const m = model.get(key);
    // the position whose M is nearest to the trait's
    const k = mtermNearestIndex(positions.map((i) => ms[i]), m);
    input.value = String(k);
    readout.textContent = `M = ${m}`;
  }
  input.addEventListener("input", () => {
    const m = clamp(ms[positions[Number(input.value)]]);
    const before = model.get(key);
    model.set(key, m);
    model.save_changes();
    if (before === m) refresh(); // no change event follows: put the slider back
  });
  return { input, refresh };
}

const mtermLog10 = (v) => (v > 0 ? Math.log10(v) : NaN);

function mtermTick(v) {
  const x = 10 ** v;
  return x >= 100 ? String(Math.round(x)) : x.toPrecision(2);
}

function mtermDraw(svg, curve, tail, shown, settings) {
  svg.replaceChildren();
  const ms = curve.m;
  const x = [];
  const err = [];
  const tl = [];
  for (let i = 1; i < ms.length; i++) {
    x.push(Math.log10(ms[i]));
    err.push(mtermLog10(curve.error[i]));
    tl.push(mtermLog10(tail[i]));
  }
  let [ylo, yhi] = extent([...err, ...tl]);
  const [elo] = extent(err);
  ylo = Math.max(ylo, elo - 1); // the tail's last values would squash the picture
  const series = [
    { x, y: err, color: COLORS.curve, className: "sw-error-curve" },
    { x, y: tl, color: COLORS.second, dash: "5 3", className: "sw-tail-curve" },
  ];
  if (shown.fit_ok) {
    const pts = shown.fit_points;
    const ends = [pts[0], pts[pts.length - 1]];
    series.push({
      x: ends.map((m) => Math.log10(m)),
      y: ends.map((m) => (shown.intercept + shown.slope * Math.log(m)) / Math.LN10),
      color: COLORS.pick,
      width: 2.5,
      className: "sw-fit-line",
    });
  }
  const points = shown.m >= 1
    ? [{ x: Math.log10(shown.m), y: mtermLog10(shown.error_at_m), r: 4, className: "sw-m-point" }]
    : [];
  const vlines = [Math.max(settings.m_min, 1), Math.min(settings.m_max, curve.n_wavelets)]
    .map((m) => ({ x: Math.log10(m), color: COLORS.window, className: "sw-fit-range" }));
  linePanel(svg, [60, 22, 440, 200], {
    className: "sw-panel-mterm",
    xRange: [x[0], x[x.length - 1]],
    yRange: [ylo, yhi],
    xLabel: "M (largest wavelets kept), log scale",
    yLabel: "RMS error, log scale",
    xFormat: mtermTick,
    yFormat: mtermTick,
    series,
    points,
    vlines,
  });
  const legend = [
    [COLORS.curve, "none", "error of the M-term forest"],
    [COLORS.second, "5 3", "tail sqrt(sum_{m>M} ||psi_m||^2) / J"],
    [COLORS.pick, "none", "least-squares fit (range in yellow)"],
  ];
  legend.forEach(([color, dash, text], i) => {
    const y = 40 + 18 * i;
    svgEl("line", { x1: 515, x2: 540, y1: y, y2: y, stroke: color, "stroke-width": 2,
                    "stroke-dasharray": dash }, svg);
    svgEl("text", { x: 546, y: y + 4, "font-size": 11 }, svg).textContent = text;
  });
  if (shown.m < 1) {
    svgEl("text", { x: 515, y: 110, "font-size": 11, fill: COLORS.muted }, svg)
      .textContent = "M = 0 lies off the log axis";
  }
  if (!shown.fit_ok) {
    svgEl("text", { x: 515, y: 128, "font-size": 11, fill: COLORS.error }, svg)
      .textContent = "no fitted line (see the message)";
  }
}

function mtermFmt(v, digits = 4) {
  return Number.isFinite(v) ? v.toPrecision(digits) : "-";
}

function render({ model, el }) {
  const curve = model.get("curve");
  const ms = curve.m;
  const tail = mtermTail(curve);
  const root = widgetRoot(el, model, "mterm-window", "sw-mterm-window");
  const mSlider = mtermIndexSlider(root, model, "m", ms, { label: "M (wavelets kept)" });
  const range = [["m_min", "fit from M ="], ["m_max", "fit to M ="]].map(([key, label]) =>
    mtermIndexSlider(root, model, key, ms, {
      label,
      first: 1,
      // the two ends never cross (a range too short for a slope still gets its message)
      clamp: (v) =>
        key === "m_min" ? Math.min(v, model.get("m_max")) : Math.max(v, model.get("m_min")),
    }),
  );
  const atLine = htmlEl("div", { class: "sw-result sw-at-m", style: "margin-top:4px" }, root);
  const fitLine = htmlEl("div", { class: "sw-result sw-fit" }, root);
  const noteStyle = `color:${COLORS.muted};font-size:12px`;
  const noteLine = htmlEl("div", { class: "sw-note", style: noteStyle }, root);
  const python = pythonLine(root);
  const svg = plotSvg(root, 780, 255);
  const notes = [
    "The tail is the error the M-term forest would have if its wavelets (each weighted 1/J in " +
      "the forest) were orthogonal; across trees, and even parent and child within a tree, they " +
      "are not, so the measured error differs from it.",
  ];
  if (curve.subsampled) {
    notes.push(
      `The curve is subsampled: ${ms.length} of the ${curve.n_wavelets + 1} values of M are ` +
        "stored (log-spaced, with 0, 1, the last and the default fit's points); the sliders " +
        "step through those, and the fit takes each of its 50 log-spaced M at the nearest " +
        "stored one.",
    );
  }
  if (curve.alpha_star === null && curve.alpha_star_note) {
    notes.push(`alpha* is not shown: ${curve.alpha_star_note}`);
  }

  function update() {
    const s = Object.fromEntries(MTERM_KEYS.map((k) => [k, model.get(k)]));
    const shown = mtermWindowShown({ curve, ...s });
    mSlider.refresh();
    for (const control of range) control.refresh();
    atLine.textContent =
      `M = ${shown.m} of ${curve.n_wavelets}: error ${mtermFmt(shown.error_at_m)}, ` +
      `tail ${mtermFmt(shown.tail_at_m)}` +
      (shown.m >= 1 ? `, norm of wavelet ${shown.m}: ${mtermFmt(shown.norm_at_m)}` : "") +
      ` (RMS over ${curve.n_samples} samples)`;
    atLine.dataset.errorAtM = String(shown.error_at_m);
    const star = Number.isFinite(shown.alpha_star)
      ? ` · alpha* = ${shown.alpha_star.toFixed(3)} (from tau*)` : "";
    if (shown.fit_ok) {
      const pts = shown.fit_points;
      fitLine.textContent =
        `slope ${shown.slope.toFixed(3)} over M in [${pts[0]}, ${pts[pts.length - 1]}] ` +
        `(${pts.length} log-spaced points) · alpha = -slope = ${shown.alpha.toFixed(3)}${star}`;
    } else {
      fitLine.replaceChildren();
      const b = htmlEl("b", {}, fitLine, "no slope");
      b.style.color = COLORS.error;
      htmlEl("span", { style: `color:${COLORS.error}` }, fitLine, `: ${shown.fit_message}${star}`);
    }
    noteLine.textContent = [shown.m_note, ...notes].filter((t) => t).join(" ");
    updatePythonLine(python, model, s, (p) =>
      `error ${mtermFmt(Number(p.error_at_m))}, ` +
        (p.fit_ok ? `alpha = ${Number(p.alpha).toFixed(3)}` : "no slope either"),
    );
    publish(root, s, shown);
    mtermDraw(svg, curve, tail, shown, s);
  }

  const cleanup = bindModel(model, MTERM_KEYS, update);
  update();
  return cleanup;
}

export default { render };
