// The collapse window's view: a layer, an epoch and a variant; the numbers at that layer and
// epoch (mean ± std over the seeds) and Lambda^j and NC1 of the layer through training, all
// recomputed in the browser by collapseWindowShown (collapse_window.js).

const COLLAPSE_COLORS = { vanilla: "#1b374d", svsl: "#ee4f2f" };
const COLLAPSE_KEYS = ["layer", "epoch_index", "variant"];

function collapsePm([mean, std], digits) {
  if (!Number.isFinite(mean)) return "undefined (a seed has no value)";
  return `${mean.toFixed(digits)} ± ${std.toFixed(digits)}`;
}

function collapseLine(name, v) {
  const its = v.it_epochs.join(", ");
  return (
    `${name} (${v.seeds.length} seeds): Lambda train ${collapsePm(v.lambda_train, 4)}, test ` +
    `${collapsePm(v.lambda_test, 4)}; NC1 ${collapsePm(v.nc1, 4)}; NCC test accuracy ` +
    `${collapsePm(v.ncc_accuracy_test, 4)}; network accuracy train ` +
    `${collapsePm(v.train_accuracy, 4)}, test ${collapsePm(v.test_accuracy, 4)}; IT at ` +
    `epoch(s) ${its}; alpha* of the layer ${collapsePm(v.alpha_it, 3)} at the IT, ` +
    `${collapsePm(v.alpha_end, 3)} at the end`
  );
}

function collapseFigure(svg, study, shown) {
  svg.replaceChildren();
  if (!shown.ok) return;
  const x = study.epochs;
  const xRange = [x[0], x[x.length - 1]];
  const lambdaSeries = [];
  const nc1Series = [];
  let lambdaValues = [];
  let nc1Values = [];
  for (const [name, v] of Object.entries(shown.variants)) {
    const color = COLLAPSE_COLORS[name] || COLORS.second;
    lambdaSeries.push({ x, y: v.lambda_train_curve, color, className: `sw-lambda-${name}` });
    lambdaSeries.push({ x, y: v.lambda_test_curve, color, dash: "5 3" });
    const logNc1 = v.nc1_curve.map((value) => (value > 0 ? Math.log10(value) : NaN));
    nc1Series.push({ x, y: logNc1, color, className: `sw-nc1-${name}` });
    lambdaValues = lambdaValues.concat(v.lambda_train_curve, v.lambda_test_curve);
    nc1Values = nc1Values.concat(logNc1);
  }
  const marker = [{ x: shown.epoch, color: COLORS.muted, className: "sw-epoch-line" }];
  linePanel(svg, [50, 22, 300, 190], {
    className: "sw-panel-lambda", xRange, yRange: extent(lambdaValues), xLabel: "epoch",
    yLabel: "Lambda (train solid, test dashed)", series: lambdaSeries, vlines: marker,
    xFormat: (v) => v.toFixed(0), yFormat: (v) => v.toFixed(3),
  });
  linePanel(svg, [430, 22, 300, 190], {
    className: "sw-panel-nc1", xRange, yRange: extent(nc1Values), xLabel: "epoch",
    yLabel: "log10 NC1", series: nc1Series, vlines: marker, xFormat: (v) => v.toFixed(0),
  });
}

function render({ model, el }) {
  const study = model.get("study");
  const root = widgetRoot(el, model, "collapse-window", "sw-collapse-window");
  const layer = selectControl(
    root, model, "layer", study.layers.map((name, i) => [i, name]), "layer",
  );
  const epoch = rangeControl(root, model, "epoch_index", {
    label: "epoch", min: 0, max: study.epochs.length - 1, step: 1,
    format: (i) => `epoch ${study.epochs[i]} (checkpoint ${i + 1} of ${study.epochs.length})`,
  });
  const names = study.variants.map((v) => v.name);
  const choices = names.map((n) => [n, n]);
  if (names.length > 1) choices.push([COLLAPSE_BOTH, "both"]);
  const variant = buttonControl(root, model, "variant", choices, { label: "variant" });
  const head = htmlEl("div", { class: "sw-result", style: "margin-top:4px" }, root);
  const lines = htmlEl("div", { class: "sw-lines" }, root);
  const python = pythonLine(root);
  const svg = plotSvg(root, 750, 250);

  function update() {
    const s = Object.fromEntries(COLLAPSE_KEYS.map((k) => [k, model.get(k)]));
    const shown = collapseWindowShown({ study, ...s });
    layer.refresh();
    epoch.refresh();
    variant.refresh();
    lines.replaceChildren();
    if (!shown.ok) {
      head.textContent = `no numbers: ${shown.message}`;
      head.style.color = COLORS.error;
    } else {
      head.style.color = "";
      head.textContent =
        `${study.dataset}, layer ${shown.layer_name} (${s.layer + 1} of ` +
        `${study.layers.length}), epoch ${shown.epoch} (mean ± std over seeds)`;
      for (const [name, v] of Object.entries(shown.variants)) {
        const line = htmlEl("div", { class: `sw-variant sw-variant-${name}` }, lines,
          collapseLine(name, v));
        // the line's colour is the variant's in the figure (the legend)
        line.style.cssText =
          `border-left:4px solid ${COLLAPSE_COLORS[name] || COLORS.second};padding-left:4px`;
      }
    }
    updatePythonLine(python, model, s, (checked) =>
      checked.ok
        ? Object.entries(checked.variants)
            .map(([name, v]) => `${name} Lambda test ${Number(v.lambda_test[0]).toFixed(4)}`)
            .join(", ")
        : "no numbers either",
    );
    publish(root, s, shown);
    collapseFigure(svg, study, shown);
  }

  const cleanup = bindModel(model, COLLAPSE_KEYS, update);
  update();
  return cleanup;
}

export default { render };
