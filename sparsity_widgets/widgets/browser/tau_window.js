// tau* for any eps window from a stored sparsity curve: the browser-side model of the epsilon
// explorer. Python twin: sparsity_widgets/widgets/browser/tau_window.py (same steps, same order
// of floating-point operations); both follow sparsity_widgets/tau_star.py.
//
// A curve is {taus, log_power_sum, log_inverse_sum, n_trees}: the fields of a SparsityCurve, with
// JSON null for a missing (NaN) log_inverse_sum entry.

export const RULES = ["paper", "public-code"];
export const PUBLIC_CODE_SWEEP = 100;
export const UNITS = { paper: "rad", "public-code": "deg" };

const num = (v) => (v === null || v === undefined ? NaN : Number(v));

// numpy.gradient(f, x) for a 1-D grid, edge_order=1: second-order central differences inside
// (numpy's formula for non-uniform spacing, or its uniform one when every step is equal)
export function gradient(f, x) {
  const n = f.length;
  const dx = new Float64Array(n - 1);
  for (let i = 0; i < n - 1; i++) dx[i] = x[i + 1] - x[i];
  let uniform = true;
  for (let i = 1; i < n - 1; i++) if (dx[i] !== dx[0]) uniform = false;
  const out = new Float64Array(n);
  for (let i = 1; i < n - 1; i++) {
    if (uniform) {
      out[i] = (f[i + 1] - f[i - 1]) / (2.0 * dx[0]);
    } else {
      const dx1 = dx[i - 1];
      const dx2 = dx[i];
      const a = -dx2 / (dx1 * (dx1 + dx2));
      const b = (dx2 - dx1) / (dx1 * dx2);
      const c = dx1 / (dx2 * (dx1 + dx2));
      out[i] = a * f[i - 1] + b * f[i] + c * f[i + 1];
    }
  }
  out[0] = (f[1] - f[0]) / dx[0];
  out[n - 1] = (f[n - 1] - f[n - 2]) / dx[n - 2];
  return out;
}

function angleRangeText(angles, unit) {
  let lo = Infinity;
  let hi = -Infinity;
  for (const a of angles) {
    if (Number.isFinite(a)) {
      lo = Math.min(lo, a);
      hi = Math.max(hi, a);
    }
  }
  if (lo > hi) return "no finite angle";
  return `the angles on the grid span [${lo.toFixed(4)}, ${hi.toFixed(4)}] ${unit}`;
}

// The grid points in [tauMin, tauMax] (inclusive to 1e-9), as restrict_curve keeps them
export function restrictIndices(taus, tauMin, tauMax) {
  const keep = [];
  for (let i = 0; i < taus.length; i++) {
    if (taus[i] >= tauMin - 1e-9 && taus[i] <= tauMax + 1e-9) keep.push(i);
  }
  if (keep.length < 3) {
    throw new Error(
      `the tau range [${tauMin.toFixed(3)}, ${tauMax.toFixed(3)}] holds ${keep.length} grid ` +
        `point(s); it needs at least 3 (the grid runs from ${taus[0].toFixed(3)} to ` +
        `${taus[taus.length - 1].toFixed(3)}). Widen the range.`,
    );
  }
  return keep;
}

// an Error that carries what the view draws for an empty window (the angles and the window)
function withDetail(detail, message) {
  const err = new Error(message);
  err.detail = detail;
  return err;
}

function paperRule(taus, logSparsity, epsLow, epsHigh) {
  const sparsity = logSparsity.map(Math.exp);
  const derivative = gradient(sparsity, taus).map((d) => (Number.isNaN(d) ? -Infinity : d));
  const angles = derivative.map(Math.atan);
  const low = -Math.PI / 2 + epsLow;
  const high = -Math.PI / 2 + epsHigh;
  const selected = [];
  for (let i = 0; i < angles.length; i++) {
    if (angles[i] >= low && angles[i] <= high) selected.push(i);
  }
  if (selected.length === 0) {
    throw withDetail(
      { angles, window: [low, high] },
      `no tau falls in the window: the paper rule keeps angles in [-pi/2 + eps_low, ` +
        `-pi/2 + eps_high] = [${low.toFixed(4)}, ${high.toFixed(4)}] rad ` +
        `(eps_low=${formatG(epsLow)}, eps_high=${formatG(epsHigh)}), but ` +
        `${angleRangeText(angles, "rad")}. Widen the window or use a finer tau grid.`,
    );
  }
  let sum = 0;
  for (const i of selected) sum += taus[i];
  const tauStar = sum / selected.length;
  return { tauStar, alphaStar: 1.0 / tauStar - 0.5, angles, selected, window: [low, high] };
}

function publicCodeRule(taus, logPowerSum, logInverseSum, nTrees, epsLow, epsHigh) {
  const logJ = Math.log(nTrees);
  const angles = new Float64Array(taus.length);
  const distance = new Float64Array(taus.length);
  for (let i = 0; i < taus.length; i++) {
    const logMagnitude = (1.0 / taus[i] - 1.0) * logPowerSum[i] + logInverseSum[i] - logJ;
    angles[i] = Math.atan(-Math.exp(logMagnitude)) * (180.0 / Math.PI);
    distance[i] = Math.abs(angles[i] + 90.0);
  }
  const picked = [];
  for (let k = 0; k < PUBLIC_CODE_SWEEP; k++) {
    const eps = epsLow + ((epsHigh - epsLow) * k) / PUBLIC_CODE_SWEEP;
    let last = -1;
    for (let i = 0; i < taus.length; i++) if (distance[i] <= eps) last = i;
    if (last < 0) {
      throw withDetail(
        { angles, window: [-90.0 - epsHigh, -90.0 + epsHigh] },
        `no tau falls in the window: the public-code rule needs |angle + 90| <= ` +
          `${formatG(eps)} degrees (eps_low=${formatG(epsLow)}, eps_high=${formatG(epsHigh)}), ` +
          `but ${angleRangeText(angles, "degrees")}. Raise eps_low or extend the grid ` +
          "towards tau = 0.",
      );
    }
    picked.push(last);
  }
  let sum = 0;
  for (const i of picked) sum += 1.0 / taus[i] - 0.5;
  const alphaStar = sum / PUBLIC_CODE_SWEEP;
  const selected = [...new Set(picked)].sort((a, b) => a - b);
  return {
    tauStar: 1.0 / (alphaStar + 0.5),
    alphaStar,
    angles,
    selected,
    window: [-90.0 - epsHigh, -90.0 + epsHigh],
  };
}

// tau* of a stored curve for one setting of the explorer. Never throws for a slider value:
// returns {ok: false, message} when the setting gives no estimate (the messages of
// sparsity_widgets.tau_star; for an empty window also taus, logSparsity, angles and window, to
// draw), else {ok: true, tauStar, alphaStar, taus, logSparsity, angles,
// selected (indices into taus), window (angle bounds)}, over the grid restricted to the range.
export function tauStarWindow(curve, rule, epsLow, epsHigh, tauMin, tauMax) {
  if (!RULES.includes(rule)) {
    throw new Error(`rule must be one of ${RULES.join(", ")}; got ${JSON.stringify(rule)}.`);
  }
  const unit = rule === "paper" ? "radians" : "degrees";
  const limit = rule === "paper" ? Math.PI : 180.0;
  const allTaus = curve.taus.map(num);
  const lo = tauMin === undefined || tauMin === null ? allTaus[0] : tauMin;
  const hi = tauMax === undefined || tauMax === null ? allTaus[allTaus.length - 1] : tauMax;
  const context = {};
  try {
    const keep = restrictIndices(allTaus, lo, hi);
    const taus = keep.map((i) => allTaus[i]);
    const logPowerSum = keep.map((i) => num(curve.log_power_sum[i]));
    const logInverseSum = keep.map((i) => num(curve.log_inverse_sum?.[i]));
    if (rule === "public-code" && !logInverseSum.some(Number.isFinite)) {
      throw new Error(
        "the public-code rule needs log(sum n^(tau - 1)), which this saved score does not " +
          "hold (it was probed before log_inverse_sum was recorded); use the paper rule or " +
          "probe the layer again.",
      );
    }
    for (const [name, v] of [["eps_low", epsLow], ["eps_high", epsHigh]]) {
      if (!(v >= 0 && v <= limit)) {
        throw new Error(`${name} must lie in [0, ${formatG(limit)}]; got ${formatG(v)}.`);
      }
    }
    if (!(epsLow < epsHigh)) {
      throw new Error(
        `eps_low must be smaller than eps_high (both in ${unit} for rule '${rule}'); got ` +
          `eps_low=${formatG(epsLow)}, eps_high=${formatG(epsHigh)}.`,
      );
    }
    const logJ = Math.log(curve.n_trees);
    const logSparsity = taus.map((t, j) => logPowerSum[j] / t - logJ);
    context.taus = taus;
    context.logSparsity = logSparsity;
    let result;
    if (rule === "paper") {
      result = paperRule(taus, logSparsity, epsLow, epsHigh);
    } else {
      result = publicCodeRule(taus, logPowerSum, logInverseSum, curve.n_trees, epsLow, epsHigh);
    }
    return { ok: true, rule, taus, logSparsity, ...result, angles: Array.from(result.angles) };
  } catch (err) {
    if (!err.detail) return { ok: false, rule, message: err.message };
    // an empty window: no estimate, but the curve, its angles and the window can be drawn
    const { taus, logSparsity } = context;
    return { ok: false, rule, message: err.message, taus, logSparsity,
             angles: Array.from(err.detail.angles), window: err.detail.window, selected: [] };
  }
}

// What the epsilon window shows for one result of tauStarWindow
export function windowShown(r) {
  return {
    ok: r.ok,
    tau_star: r.ok ? r.tauStar : NaN,
    alpha_star: r.ok ? r.alphaStar : NaN,
    selected: r.ok ? Array.from(r.selected) : [],
    message: r.ok ? null : r.message,
  };
}

// What the epsilon window shows for its state (Python twin: window_shown of tau_window.py)
export function epsilonWindowShown(state) {
  return windowShown(
    tauStarWindow(
      state.curve, state.rule, state.eps_low, state.eps_high, state.tau_min, state.tau_max,
    ),
  );
}
