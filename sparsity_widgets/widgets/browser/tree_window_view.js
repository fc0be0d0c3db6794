// The tree window's view: a slider for M, the M-term tree's predicted class on a pixel grid with
// the cells of the M largest wavelets outlined and the stored points on top, the accuracy at
// the points and the norm of the M-th wavelet, and the sorted norms with M marked; all
// recomputed in the browser by tree_window.js (concatenated before this file into one module).

const TREE_KEYS = ["m"];
const TREE_CLASS_COLORS = ["#1b374d", "#ee4f2f", "#2bc2cb", "#fba720", "#6a3d9a", "#33a02c"];
const treeColor = (c) => (c >= 0 ? TREE_CLASS_COLORS[c % TREE_CLASS_COLORS.length] : "#ffffff");

// a class colour at 35 % over white, opaque (overlapping translucent runs would show seams)
function treeShade(c) {
  const hex = treeColor(c);
  const mix = (k) => Math.round(0.35 * parseInt(hex.slice(k, k + 2), 16) + 0.65 * 255);
  return `rgb(${mix(1)},${mix(3)},${mix(5)})`;
}

// the picture's square, its axes in the data's coordinates
const TREE_BOX = [60, 24, 300, 300];

function treeAxes(svg, tree) {
  const [x0, y0, w, h] = TREE_BOX;
  const g = svgEl("g", { class: "sw-tree-axes" }, svg);
  svgEl("rect", { x: x0, y: y0, width: w, height: h, fill: "none", stroke: "#999" }, g);
  for (let k = 0; k <= 4; k++) {
    const u = k / 4;
    const xv = tree.feature_min[0] + u * tree.feature_scale[0];
    const yv = tree.feature_min[1] + u * tree.feature_scale[1];
    svgEl("text", { x: x0 + u * w, y: y0 + h + 14, "font-size": 10, "text-anchor": "middle" }, g)
      .textContent = xv.toFixed(2);
    svgEl("text", { x: x0 - 4, y: y0 + h - u * h + 3, "font-size": 10, "text-anchor": "end" }, g)
      .textContent = yv.toFixed(2);
  }
  svgEl("text", { x: x0 + w / 2, y: y0 + h + 28, "font-size": 11, "text-anchor": "middle" }, g)
    .textContent = "x1";
  svgEl("text", { x: x0 + 4, y: y0 - 6, "font-size": 11 }, g).textContent = "x2";
}

// the pixels, one rectangle per run of equal classes in a row
function treeImage(group, pixels, grid) {
  group.replaceChildren();
  const [x0, y0, w, h] = TREE_BOX;
  const sx = w / grid;
  const sy = h / grid;
  for (let i = 0; i < grid; i++) {
    let j = 0;
    while (j < grid) {
      const cls = pixels[i * grid + j];
      let end = j + 1;
      while (end < grid && pixels[i * grid + end] === cls) end++;
      svgEl(
        "rect",
        { x: x0 + j * sx, y: y0 + h - (i + 1) * sy, width: (end - j) * sx + 0.3,
          height: sy + 0.3, fill: treeShade(cls) },
        group,
      );
      j = end;
    }
  }
}

function treeOutlines(group, tree, m) {
  group.replaceChildren();
  const [x0, y0, w, h] = TREE_BOX;
  for (const k of tree.order.slice(0, m)) {
    const [xl, xh, yl, yh] = tree.box[k];
    svgEl(
      "rect",
      { x: x0 + xl * w, y: y0 + h - yh * h, width: (xh - xl) * w, height: (yh - yl) * h,
        fill: "none", stroke: "#000", "stroke-width": 0.8, class: "sw-kept-cell" },
      group,
    );
  }
}

function treePoints(group, points) {
  const [x0, y0, w, h] = TREE_BOX;
  for (let p = 0; p < points.label.length; p++) {
    svgEl(
      "circle",
      { cx: x0 + points.x[p] * w, cy: y0 + h - points.y[p] * h, r: 2.2,
        fill: treeColor(points.label[p]), stroke: "#fff", "stroke-width": 0.4 },
      group,
    );
  }
}

function treeNormPanel(svg, tree, shown) {
  const n = tree.order.length;
  const x = [];
  const y = [];
  tree.order.forEach((k, r) => {
    x.push(r + 1);
    y.push(tree.norm[k] > 0 ? Math.log10(tree.norm[k]) : NaN);
  });
  const points = shown.m >= 1
    ? [{ x: shown.m, y: Math.log10(shown.mth_norm), r: 4, className: "sw-m-point" }]
    : [];
  return linePanel(svg, [440, 24, 300, 300], {
    className: "sw-panel-norms",
    xRange: [1, Math.max(n, 2)],
    yRange: extent(y),
    xLabel: "rank of the wavelet (largest norm first)",
    yLabel: "wavelet norm, log10",
    xFormat: (v) => String(Math.round(v)),
    yFormat: (v) => v.toFixed(1),
    series: [{ x, y, color: COLORS.curve, className: "sw-norm-curve" }],
    points,
    vlines: shown.m >= 1 ? [{ x: shown.m, color: COLORS.window, className: "sw-m-line" }] : [],
  });
}

function render({ model, el }) {
  const tree = model.get("tree");
  const points = model.get("points");
  const grid = model.get("grid");
  const n = tree.order.length;
  const root = widgetRoot(el, model, "tree-window", "sw-tree-window");
  const slider = rangeControl(root, model, "m", {
    label: "M (wavelets kept)", min: 0, max: n, step: 1, format: (v) => `M = ${v} of ${n}`,
  });
  const result = htmlEl("div", { class: "sw-result", style: "margin-top:4px" }, root);
  const noteStyle = `color:${COLORS.muted};font-size:12px`;
  const note = htmlEl("div", { class: "sw-note", style: noteStyle }, root);
  const python = pythonLine(root);
  const svg = plotSvg(root, 780, 360);
  treeAxes(svg, tree);
  const image = svgEl("g", { class: "sw-tree-image", "shape-rendering": "crispEdges" }, svg);
  const outlines = svgEl("g", { class: "sw-tree-cells" }, svg);
  treePoints(svgEl("g", { class: "sw-tree-points" }, svg), points);
  let normPanel = null;
  const legend = htmlEl("div", { class: "sw-legend", style: noteStyle }, root);
  legend.replaceChildren();
  tree.classes.forEach((name, c) => {
    const chip = htmlEl("span", { style: "margin-right:10px" }, legend);
    htmlEl("span", { style: `color:${treeColor(c)}` }, chip, "\u25a0 ");
    chip.appendChild(document.createTextNode(`class ${name}`));
  });
  const explain =
    `Shading: the class the M-term tree predicts at the centre of each of ${grid} x ${grid} ` +
    "pixels; outlined: the cells of the M wavelets kept; dots: " +
    `${points.label.length} of the training points (the accuracy is measured at them).`;

  function update() {
    const s = { m: model.get("m") };
    const shown = treeWindowShown({ tree, points, grid, ...s });
    slider.refresh();
    const acc = Number.isFinite(shown.accuracy)
      ? `accuracy ${(100 * shown.accuracy).toFixed(1)} % on the ${shown.n_points} points`
      : "no points stored: no accuracy";
    const norm = shown.m >= 1 ? `; norm of wavelet ${shown.m}: ${shown.mth_norm.toPrecision(4)}` : "";
    result.textContent = `M = ${shown.m} of ${shown.n_wavelets} wavelets: ${acc}${norm}`;
    result.dataset.accuracy = String(shown.accuracy);
    if (shown.m_note) {
      note.replaceChildren();
      htmlEl("span", { style: `color:${COLORS.error}` }, note, `${shown.m_note} `);
      note.appendChild(document.createTextNode(explain));
    } else {
      note.textContent = explain;
    }
    updatePythonLine(python, model, s, (p) =>
      Number.isFinite(Number(p.accuracy))
        ? `accuracy ${(100 * Number(p.accuracy)).toFixed(1)} %` : "no accuracy",
    );
    publish(root, s, shown);
    treeImage(image, shown.pixel_class, grid);
    treeOutlines(outlines, tree, shown.m);
    if (normPanel) normPanel.g.remove();
    normPanel = treeNormPanel(svg, tree, shown);
  }

  const cleanup = bindModel(model, TREE_KEYS, update);
  update();
  return cleanup;
}

export default { render };
