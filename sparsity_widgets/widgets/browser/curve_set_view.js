// The curve-set picker's view: a member slider, the rule and the eps window; alpha* of every
// member against its position (the picked one marked, members with no estimate left as gaps)
// and the picked member's log N_tau with its selected taus. Everything is recomputed in the
// browser by curveSetShown / tauStarWindow (curve_set.js, tau_window.js, before this file).

const CURVE_SET_KEYS = ["pick", "rule", "eps_low", "eps_high"];

function curveSetFormat(v) {
  return Number.isFinite(v) ? v.toFixed(3) : "-";
}

function curveSetExtras(extras) {
  const parts = [];
  for (const [name, v] of Object.entries(extras || {})) {
    if (v === null || v === undefined) continue;
    parts.push(`${name} ${Number.isInteger(v) ? String(v) : Number(v).toFixed(3)}`);
  }
  return parts.join(", ");
}

function curveSetDrawMembers(svg, members, shown, axisLabel, labelTicks) {
  const xs = members.map((m) => m.position);
  let [xlo, xhi] = extent(xs);
  const pad = labelTicks ? 0.5 : 0.05 * Math.max(xhi - xlo, 1e-12);
  xlo -= pad;
  xhi += pad;
  const ys = shown.alpha_stars;
  const picked = Number.isFinite(shown.position) ? shown.position : NaN;
  const panel = linePanel(svg, [50, 22, 300, 190], {
    className: "sw-panel-members", xRange: [xlo, xhi], yRange: extent(ys),
    xLabel: labelTicks ? "" : axisLabel, yLabel: "alpha* (this window)",
    xFormat: labelTicks ? () => "" : (v) => formatG(Number(v.toPrecision(3))),
    series: [{ x: xs, y: ys, color: COLORS.curve, className: "sw-alpha-series" }],
    points: [
      ...xs.map((x, i) => ({ x, y: ys[i], className: "sw-member", color: COLORS.curve })),
      ...(shown.ok ? [{ x: picked, y: shown.alpha_star, r: 5, className: "sw-picked" }] : []),
    ],
    vlines: [{ x: picked, className: "sw-pick-line" }],
  });
  for (const i of shown.missing) {
    // a gap: an open ring on the axis's lower edge, so the reader sees which member is missing
    svgEl("text", { x: panel.sx(xs[i]), y: 22 + 190 - 3, "font-size": 10,
                    "text-anchor": "middle", fill: COLORS.error, class: "sw-gap" }, svg)
      .textContent = "×";
  }
  if (labelTicks) {
    members.forEach((m, i) => {
      const x = panel.sx(xs[i]);
      const t = svgEl("text", { x, y: 22 + 190 + 10, "font-size": 9, "text-anchor": "end",
                                transform: `rotate(-40 ${x} ${22 + 190 + 10})`,
                                class: "sw-member-label" }, svg);
      t.textContent = m.label;
      if (i === shown.pick) t.setAttribute("fill", COLORS.pick);
    });
  }
}

function curveSetDrawPicked(svg, member, result) {
  if (!member) return;
  const curve = member.curve;
  const drawn = result.taus !== undefined;
  const logJ = Math.log(curve.n_trees);
  const x = drawn ? result.taus : curve.taus.map(Number);
  const logN = drawn
    ? result.logSparsity
    : x.map((t, i) => (curve.log_power_sum[i] === null ? NaN : curve.log_power_sum[i] / t - logJ));
  const visible = x.map((t, i) => (t >= Math.min(0.25, x[x.length - 3]) ? logN[i] : NaN));
  const selected = result.ok ? Array.from(result.selected) : [];
  linePanel(svg, [430, 22, 300, 190], {
    className: "sw-panel-picked", xRange: [x[0] - 0.02, x[x.length - 1] + 0.02],
    yRange: extent(visible), xLabel: "tau", yLabel: `log N_tau of ${member.label}`,
    series: [{ x, y: logN, color: COLORS.curve }],
    points: selected.map((i) => ({ x: x[i], y: logN[i], className: "sw-pick" })),
    vlines: [{ x: result.ok ? result.tauStar : NaN, className: "sw-tau-line" }],
  });
  if (!result.ok) {
    const t = svgEl("text", { x: 440, y: 40, "font-size": 11, fill: COLORS.error }, svg);
    t.textContent = "no tau* for this member (see the message above)";
  }
}

function render({ model, el }) {
  const members = model.get("members");
  const epsMax = model.get("eps_slider_max");
  const axisLabel = model.get("axis_label");
  const labelTicks = model.get("label_ticks");
  const root = widgetRoot(el, model, "curve-set", "sw-curve-set");
  const pick = rangeControl(root, model, "pick", {
    label: axisLabel, min: 0, max: members.length - 1, step: 1,
    format: (v) => {
      const m = members[v];
      if (!m) return `no member ${v}`;
      return labelTicks ? m.label : `${m.label} (${members.length} precomputed)`;
    },
  });
  const windowControls = epsWindowControls(root, model, epsMax, UNITS);
  const note = model.get("note");
  if (note) htmlEl("div", { class: "sw-note", style: `color:${COLORS.muted};font-size:12px` },
                   root, note);
  const resultLine = htmlEl("div", { class: "sw-result", style: "margin-top:4px" }, root);
  const gapLine = htmlEl("div", { class: "sw-gaps", style: `color:${COLORS.error};font-size:12px` },
                         root);
  const python = pythonLine(root);
  const svg = plotSvg(root, 750, 270);

  function update() {
    const s = Object.fromEntries(CURVE_SET_KEYS.map((k) => [k, model.get(k)]));
    const state = { members, ...s };
    const estimates = curveSetEstimates(state);
    const shown = curveSetShown(state, estimates);
    pick.refresh();
    windowControls.refresh();
    const member = shown.label === null ? null : members[s.pick];
    resultLine.replaceChildren();
    if (member && shown.ok) {
      const extras = curveSetExtras(member.extras);
      resultLine.textContent =
        `${member.label}: tau* = ${shown.tau_star.toFixed(3)}, alpha* = ` +
        `${shown.alpha_star.toFixed(3)} · ${s.rule} rule, eps = [${s.eps_low.toFixed(2)}, ` +
        `${s.eps_high.toFixed(2)}] ${UNITS[s.rule]} · ${shown.selected.length} taus selected` +
        (extras ? ` · ${extras}` : "");
    } else {
      const b = htmlEl("b", {}, resultLine, "no estimate");
      b.style.color = COLORS.error;
      const who = member ? ` for ${member.label}` : "";
      htmlEl("span", { style: `color:${COLORS.error}` }, resultLine, `${who}: ${shown.message}`);
    }
    resultLine.dataset.alphaStar = shown.ok ? String(shown.alpha_star) : "";
    const n = shown.missing.length;
    gapLine.textContent = n === 0 ? "" :
      `${n} of ${members.length} member(s) have no estimate in this window (gaps, ×, in the ` +
      `left plot): ${shown.missing.map((i) => members[i].label).join(", ")}`;
    updatePythonLine(python, model, s, (py) =>
      py.ok ? `alpha* = ${Number(py.alpha_star).toFixed(3)}` : "no estimate either",
    );
    publish(root, s, shown);
    svg.replaceChildren();
    curveSetDrawMembers(svg, members, shown, axisLabel, labelTicks);
    curveSetDrawPicked(svg, member, member ? estimates[s.pick] : { ok: false });
  }

  const cleanup = bindModel(model, CURVE_SET_KEYS, update);
  update();
  return cleanup;
}

export default { render };
