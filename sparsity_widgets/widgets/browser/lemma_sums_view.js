// The Lemma 3.1 sums' view: domain buttons, tau and depth sliders, the verdict and two log plots
// (each level's sum of ||psi||^tau and the partial sums N_tau^tau over the depth), recomputed in
// the browser by lemmaSumsShown (lemma_sums.js, concatenated before this file into one module).

const LEMMA_KEYS = ["domain", "tau", "depth"];

const lemmaLog10 = (values) => values.map((v) => (v > 0 ? Math.log10(v) : NaN));

function lemmaDrawFigure(svg, shown, reference) {
  svg.replaceChildren();
  if (!shown.ok) {
    const t = svgEl("text", { x: 20, y: 110, "font-size": 12, fill: COLORS.error }, svg);
    t.textContent = "nothing to draw for this setting (see the message above)";
    return;
  }
  const n = shown.depth_used;
  const ks = Array.from({ length: n }, (_, i) => i + 1);
  const xRange = [0, 4 * Math.ceil(n / 4)]; // four tick intervals at whole levels
  const panels = [
    ["sw-panel-levels", 50, "log10 sum of ||psi||^tau at level k", shown.level_sums,
      reference.level_sums],
    ["sw-panel-partial", 430, "log10 N_tau^tau, tree cut at depth k", shown.partial_sums,
      reference.partial_sums],
  ];
  for (const [className, x0, yLabel, values, ref] of panels) {
    const y = lemmaLog10(values);
    const yRef = lemmaLog10(ref);
    linePanel(svg, [x0, 22, 300, 190], {
      className, xRange, yRange: extent([...y, ...yRef]), xLabel: "level k", yLabel,
      xFormat: (v) => v.toFixed(0), yFormat: (v) => (Math.abs(v) < 0.05 ? 0 : v).toFixed(1),
      series: [
        { x: ks, y: yRef, color: COLORS.muted, dash: "4 3", width: 1, className: "sw-reference" },
        { x: ks, y, color: COLORS.curve, className: "sw-series" },
      ],
      points: ks.map((k, i) => ({ x: k, y: y[i], className: "sw-level", r: 2 })),
    });
  }
  const legend = svgEl("text", { x: 50, y: 258, "font-size": 10, fill: COLORS.muted }, svg);
  legend.textContent =
    "solid: this tau · dashed: tau = 1, the threshold of Lemma 3.1 · a level that adds " +
    "nothing leaves a gap";
}

function render({ model, el }) {
  const domains = model.get("domains");
  const root = widgetRoot(el, model, "lemma-sums", "sw-lemma-sums");
  const domain = buttonControl(
    root, model, "domain", domains.map((d) => [d.key, d.label]), { label: "domain" },
  );
  const tau = rangeControl(root, model, "tau", {
    label: "tau", min: model.get("tau_slider_min"), max: model.get("tau_slider_max"),
    step: 0.01, format: (v) => v.toFixed(2),
  });
  const depth = rangeControl(root, model, "depth", {
    label: "depth K", min: 1, max: model.get("depth_slider_max"), step: 1,
    format: (v) => String(v),
  });
  const resultLine = htmlEl("div", { class: "sw-result", style: "margin-top:4px" }, root);
  const lemmaLine = htmlEl("div", { class: "sw-lemma" }, root);
  const noteLine = htmlEl("div", { class: "sw-note", style: "color:#8a5a00" }, root);
  const python = pythonLine(root);
  const svg = plotSvg(root, 750, 264);

  function update() {
    const s = Object.fromEntries(LEMMA_KEYS.map((k) => [k, model.get(k)]));
    const shown = lemmaSumsShown({ domains, ...s });
    domain.refresh();
    tau.refresh();
    depth.refresh();
    resultLine.replaceChildren();
    if (!shown.ok) {
      const b = htmlEl("b", {}, resultLine, "no sums");
      b.style.color = COLORS.error;
      htmlEl("span", { style: `color:${COLORS.error}` }, resultLine, `: ${shown.message}`);
      lemmaLine.textContent = "";
    } else {
      const last = shown.partial_sums[shown.partial_sums.length - 1];
      htmlEl("span", {}, resultLine,
        `depth ${shown.depth_used}: N_tau^tau = ${last.toPrecision(6)}, N_tau = ` +
          `${Math.pow(10, shown.log10_n_tau).toPrecision(6)} · `);
      htmlEl("b", { class: "sw-verdict" }, resultLine, shown.verdict_text);
      lemmaLine.textContent = shown.lemma;
    }
    noteLine.textContent = shown.note ?? "";
    noteLine.style.display = shown.note ? "block" : "none";
    resultLine.dataset.verdict = shown.verdict;
    updatePythonLine(python, model, s, (py) => {
      if (!py.ok) return "no sums either";
      return `N_tau = ${Math.pow(10, Number(py.log10_n_tau)).toPrecision(6)}, ${py.verdict}`;
    });
    publish(root, s, shown);
    const reference = lemmaSumsShown({ domains, ...s, tau: 1.0 });
    lemmaDrawFigure(svg, shown, reference);
  }

  const cleanup = bindModel(model, LEMMA_KEYS, update);
  update();
  return cleanup;
}

export default { render };
