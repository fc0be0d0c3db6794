// What every browser-side widget view shares: DOM and SVG helpers, controls bound to the
// widget's traits, a line-plot panel, the Python check line and the data-sw-* contract that the
// tests read (sparsity_widgets/widgets/browser/registry.py):
//   root:     data-sw-kind, data-sw-uid, and after each update data-sw-settings, data-sw-shown
//   controls: data-sw-control="<trait>" (range input, select, or buttons with data-sw-option)
// Concatenated after a widget's model file and before its view file into one ES module, so its
// top-level names must not clash with theirs.

export const SVG_NS = "http://www.w3.org/2000/svg";
export const COLORS = {
  curve: "#1b374d",
  pick: "#d1495b",
  window: "#edae49",
  second: "#00798c",
  error: "#b00020",
  muted: "#555",
};

export function svgEl(name, attrs, parent) {
  const el = document.createElementNS(SVG_NS, name);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (parent) parent.appendChild(el);
  return el;
}

export function htmlEl(name, attrs, parent, text) {
  const el = document.createElement(name);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  if (parent) parent.appendChild(el);
  return el;
}

// [min, max] of the finite values (or [0, 1] when there are none)
export function extent(values) {
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

// JSON with NaN and the infinities as strings (JSON.stringify would write null for all three)
export function jsonShown(value) {
  return JSON.stringify(value, (k, v) =>
    typeof v === "number" && !Number.isFinite(v) ? String(v) : v,
  );
}

const uniqueId = (prefix) => `${prefix}-${Math.random().toString(36).slice(2)}`;

// an SVG figure that keeps its aspect and shrinks to the width of the page's column
export function plotSvg(parent, width, height) {
  const svg = svgEl(
    "svg", { class: "sw-plot", width, height, viewBox: `0 0 ${width} ${height}` }, parent,
  );
  svg.style.maxWidth = "100%";
  svg.style.height = "auto";
  return svg;
}

// the root of a view: a bordered box with the widget's title, tagged for the tests
export function widgetRoot(el, model, kind, className) {
  const root = htmlEl("div", { class: `sw-widget ${className}` }, el);
  root.dataset.swKind = kind;
  root.dataset.swUid = model.get("uid") || "";
  root.style.cssText = "border:1px solid #ddd;padding:6px;font-family:sans-serif;font-size:13px";
  const title = model.get("title");
  if (title) htmlEl("div", { class: "sw-title", style: "font-weight:bold" }, root, title);
  return root;
}

// what the tests compare with Python: the settings and the shown values, after every update
export function publish(root, settings, shown) {
  root.dataset.swSettings = jsonShown(settings);
  root.dataset.swShown = jsonShown(shown);
}

function controlRow(parent, label) {
  const row = htmlEl("div", { style: "display:flex;align-items:center;gap:8px;margin:2px 0" }, parent);
  const name = htmlEl("label", { style: "min-width:110px" }, row, label);
  return { row, name };
}

// a slider bound to a numeric trait; `format(value)` writes its read-out, `clamp(value)` may
// keep it consistent with other traits (e.g. two ends that must not cross)
export function rangeControl(parent, model, key, options) {
  const { label = key, min, max, step, format = (v) => String(v), clamp = (v) => v } = options;
  const { row, name } = controlRow(parent, label);
  const cls = `sw-${key.replaceAll("_", "-")}`;
  const input = htmlEl("input", { type: "range", min, max, step, class: cls }, row);
  input.style.width = "300px";
  input.dataset.swControl = key;
  input.setAttribute("aria-label", key);
  name.htmlFor = input.id = uniqueId(`sw-${key}`);
  const readout = htmlEl("span", { class: "sw-readout" }, row);
  input.addEventListener("input", () => {
    const value = clamp(Number(input.value));
    const before = model.get(key);
    model.set(key, value);
    model.save_changes();
    if (before === value) refresh(); // no change event follows: put the slider back
  });
  function refresh() {
    const value = model.get(key);
    input.value = String(value);
    readout.textContent = format(value);
  }
  return { input, readout, refresh, setRange(lo, hi) { input.min = lo; input.max = hi; } };
}

// a choice among a few values, as buttons (the current one bold and aria-pressed);
// `onPick(value)` may set other traits before the change is saved
export function buttonControl(parent, model, key, choices, options = {}) {
  const { label = key, onPick = () => {} } = options;
  const { row } = controlRow(parent, label);
  const stem = `sw-${key.replaceAll("_", "-")}`;
  const buttons = choices.map(([value, text]) => {
    const cls = `${stem}-option ${stem}-${String(value).replaceAll("_", "-")}`;
    const b = htmlEl("button", { type: "button", class: cls }, row, text);
    b.dataset.swControl = key;
    b.dataset.swOption = String(value);
    b.addEventListener("click", () => {
      model.set(key, value);
      onPick(value);
      model.save_changes();
    });
    return [value, b];
  });
  function refresh() {
    const current = model.get(key);
    for (const [value, b] of buttons) {
      b.style.fontWeight = value === current ? "bold" : "normal";
      b.setAttribute("aria-pressed", String(value === current));
    }
  }
  return { buttons, refresh };
}

// The rule buttons and the eps_low / eps_high sliders of an eps window (the epsilon window, the
// curve set): the sliders' range and unit follow the rule (epsMax and units by rule), and a rule
// change keeps the window inside the new range. refresh() after every model change.
export function epsWindowControls(root, model, epsMax, units) {
  const rule = buttonControl(
    root, model, "rule",
    [["paper", "paper rule (rad)"], ["public-code", "public-code rule (deg)"]],
    {
      label: "rule",
      onPick: (picked) => {
        model.set("eps_low", Math.min(model.get("eps_low"), epsMax[picked]));
        model.set("eps_high", Math.min(model.get("eps_high"), epsMax[picked]));
      },
    },
  );
  const eps = ["eps_low", "eps_high"].map((key) =>
    rangeControl(root, model, key, {
      min: 0, max: epsMax[model.get("rule")], step: 0.01,
      format: (v) => `${v.toFixed(2)} ${units[model.get("rule")]}`,
    }),
  );
  return {
    refresh() {
      rule.refresh();
      for (const control of eps) {
        control.setRange(0, epsMax[model.get("rule")]);
        control.refresh();
      }
    },
  };
}

// a drop-down over a few values (strings or numbers), bound to a trait
export function selectControl(parent, model, key, choices, label) {
  const { row, name } = controlRow(parent, label ?? key);
  const select = htmlEl("select", { class: `sw-${key.replaceAll("_", "-")}` }, row);
  select.dataset.swControl = key;
  name.htmlFor = select.id = uniqueId(`sw-${key}`);
  for (const [value, text] of choices) {
    htmlEl("option", { value: String(value) }, select, text);
  }
  select.addEventListener("change", () => {
    const picked = choices.find(([value]) => String(value) === select.value);
    model.set(key, picked[0]);
    model.save_changes();
  });
  return { select, refresh() { select.value = String(model.get(key)); } };
}

// The line under the widget that says whether a Python kernel has checked what is shown:
// python_check is {settings, shown} as the kernel last computed them; `describe(shown)` words it
export function pythonLine(root) {
  return htmlEl("div", { class: "sw-python", style: `color:${COLORS.muted};font-size:12px` }, root);
}

export function updatePythonLine(line, model, settings, describe) {
  const check = model.get("python_check") || {};
  const same =
    check.settings !== undefined &&
    Object.keys(settings).every((k) => jsonShown(check.settings[k]) === jsonShown(settings[k]));
  if (!same) {
    line.textContent = "computed in this browser; no Python kernel has checked this setting";
    line.dataset.pythonShown = "";
  } else {
    line.textContent = `Python's value for this setting: ${describe(check.shown)}`;
    line.dataset.pythonShown = jsonShown(check.shown);
  }
}

// re-run `update` when any of `keys` (or python_check) changes; returns the clean-up
export function bindModel(model, keys, update) {
  const onChange = () => update();
  const names = [...keys, "python_check"].map((k) => `change:${k}`);
  for (const name of names) model.on(name, onChange);
  return () => {
    for (const name of names) model.off(name, onChange);
  };
}

// One plot panel: axes box, ticks, series clipped to the axes, marked points, vertical lines
// and an optional horizontal band. spec: {className, xRange, yRange, xLabel, yLabel,
// series: [{x, y, color, className, dash, width}], points: [{x, y, color, className, r}],
// vlines: [{x, color, className}], band: [lo, hi], xTicks, yTicks (number of intervals),
// xFormat, yFormat}. Non-finite y values break a series.
export function linePanel(svg, box, spec) {
  const [x0, y0, w, h] = box;
  const [xlo, xhi] = spec.xRange;
  let [ylo, yhi] = spec.yRange;
  const pad = 0.05 * Math.max(yhi - ylo, 1e-12);
  ylo -= pad;
  yhi += pad;
  const sx = (x) => x0 + ((x - xlo) / (xhi - xlo)) * w;
  const sy = (y) => y0 + h - ((y - ylo) / (yhi - ylo)) * h;
  const syClamped = (y) => sy(Math.min(Math.max(y, ylo), yhi));
  const g = svgEl("g", { class: spec.className || "sw-panel" }, svg);
  svgEl("rect", { x: x0, y: y0, width: w, height: h, fill: "white", stroke: "#999" }, g);
  const clipId = uniqueId("sw-clip");
  const clip = svgEl("clipPath", { id: clipId }, svgEl("defs", {}, g));
  svgEl("rect", { x: x0, y: y0, width: w, height: h }, clip);
  const inside = svgEl("g", { "clip-path": `url(#${clipId})` }, g);
  if (spec.band) {
    const top = syClamped(spec.band[1]);
    svgEl(
      "rect",
      { x: x0, y: top, width: w, height: Math.max(syClamped(spec.band[0]) - top, 1),
        fill: COLORS.window, "fill-opacity": 0.35, class: "sw-window" },
      g,
    );
  }
  const xf = spec.xFormat || ((v) => v.toFixed(2));
  const yf = spec.yFormat || ((v) => v.toFixed(2));
  const nx = spec.xTicks ?? 4;
  const ny = spec.yTicks ?? 4;
  for (let k = 0; k <= nx; k++) {
    const xv = xlo + ((xhi - xlo) * k) / nx;
    svgEl("text", { x: sx(xv), y: y0 + h + 14, "font-size": 10, "text-anchor": "middle" }, g)
      .textContent = xf(xv);
  }
  for (let k = 0; k <= ny; k++) {
    const yv = ylo + ((yhi - ylo) * k) / ny;
    svgEl("text", { x: x0 - 4, y: sy(yv) + 3, "font-size": 10, "text-anchor": "end" }, g)
      .textContent = yf(yv);
  }
  svgEl("text", { x: x0 + w / 2, y: y0 + h + 28, "font-size": 11, "text-anchor": "middle" }, g)
    .textContent = spec.xLabel ?? "";
  svgEl("text", { x: x0 + 4, y: y0 - 6, "font-size": 11 }, g).textContent = spec.yLabel ?? "";
  for (const s of spec.series || []) {
    let points = [];
    const flush = () => {
      if (points.length > 1) {
        svgEl(
          "polyline",
          { points: points.join(" "), fill: "none", stroke: s.color || COLORS.curve,
            "stroke-width": s.width ?? 1.5, "stroke-dasharray": s.dash || "none",
            class: s.className || "sw-series" },
          inside,
        );
      }
      points = [];
    };
    for (let i = 0; i < s.x.length; i++) {
      if (Number.isFinite(s.y[i]) && Number.isFinite(s.x[i])) {
        // beyond the axes the clip path hides it; the bound only keeps coordinates small
        const y = Math.min(Math.max(sy(s.y[i]), y0 - 10 * h), y0 + 11 * h);
        points.push(`${sx(s.x[i]).toFixed(1)},${y.toFixed(1)}`);
      } else {
        flush();
      }
    }
    flush();
  }
  for (const p of spec.points || []) {
    if (Number.isFinite(p.y) && Number.isFinite(p.x)) {
      svgEl(
        "circle",
        { cx: sx(p.x), cy: sy(p.y), r: p.r ?? 2.6, fill: p.color || COLORS.pick,
          class: p.className || "sw-point" },
        inside,
      );
    }
  }
  for (const v of spec.vlines || []) {
    if (Number.isFinite(v.x)) {
      svgEl(
        "line",
        { x1: sx(v.x), x2: sx(v.x), y1: y0, y2: y0 + h, stroke: v.color || COLORS.pick,
          "stroke-dasharray": "4 3", class: v.className || "sw-vline" },
        g,
      );
    }
  }
  return { sx, sy, g };
}
