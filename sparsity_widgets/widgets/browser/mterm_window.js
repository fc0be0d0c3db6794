// The M-term approximation explorer's browser-side model: the error of the forest rebuilt from
// its M largest wavelets, the tail energy of the sorted wavelet norms and the Elisha-Dekel slope
// of log error against log M, all from arrays Python stored (sparsity_widgets/approximation.py,
// MTermCurve). Python twin: sparsity_widgets/widgets/browser/mterm_window.py (same steps, same
// order of floating-point operations).
//
// A curve is {m, error, norms, skipped_energy, n_wavelets, n_trees, n_samples, subsampled,
// alpha_star, alpha_star_note}: the stored values of M (increasing, with 0, 1 and n_wavelets),
// the RMS error at each, the norm of the M-th wavelet for each stored M >= 1, and (subsampled
// curves only; else empty) the squared norms of the wavelets skipped between two stored M.

// MTermCurve.slope's number of log-spaced M values
export const MTERM_FIT_POINTS = 50;

// numpy.round of a non-negative float: half to even
function mtermRoundHalfEven(x) {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 ? 2 * Math.round(x / 2) : r;
}

// np.unique(np.round(np.geomspace(mMin, mMax, n)).astype(int)), as numpy computes geomspace
// (log10 of the ends, linspace, power of 10, the ends put back)
export function mtermFitPoints(mMin, mMax, n = MTERM_FIT_POINTS) {
  const logStart = Math.log10(mMin);
  const logStop = Math.log10(mMax);
  const step = (logStop - logStart) / (n - 1);
  const values = [];
  for (let i = 0; i < n; i++) {
    let y = i * step;
    y += logStart;
    if (i === n - 1) y = logStop;
    values.push(10.0 ** y);
  }
  values[0] = mMin;
  values[n - 1] = mMax;
  const rounded = [...new Set(values.map(mtermRoundHalfEven))];
  return rounded.sort((a, b) => a - b);
}

// index of the stored M nearest to `m` (the lower one on a tie): exact when m is stored
export function mtermNearestIndex(ms, m) {
  let lo = 0;
  let hi = ms.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (ms[mid] < m) lo = mid + 1;
    else hi = mid;
  }
  // ms[lo] is the first stored M >= m (or the last one)
  if (lo > 0 && m - ms[lo - 1] <= ms[lo] - m) return lo - 1;
  return lo;
}

// tail[k] = sqrt(sum of ||psi_j||^2 over the wavelets j > m[k]) / J, summed from the smallest
// norm up: the error of the M-term forest if its wavelets (each weighted 1/J in the forest's
// prediction) were orthogonal
export function mtermTail(curve) {
  const k = curve.m.length;
  const skipped = curve.skipped_energy || [];
  const suffix = new Float64Array(k);
  suffix[k - 1] = 0.0;
  for (let j = k - 2; j >= 0; j--) {
    const norm = curve.norms[j];
    const energy = skipped.length ? norm * norm + skipped[j] : norm * norm;
    suffix[j] = suffix[j + 1] + energy;
  }
  const tail = new Float64Array(k);
  for (let j = 0; j < k; j++) tail[j] = Math.sqrt(suffix[j]) / curve.n_trees;
  return tail;
}

// The least-squares slope of log error against log M over [mMin, mMax], as MTermCurve.slope
// computes it (its checks and messages; the 50 log-spaced M, each taken at the nearest stored
// M). Never throws: {ok: false, message} when the range gives no slope.
export function mtermSlope(curve, mMin, mMax) {
  const n = curve.n_wavelets;
  const fail = (message) => ({ ok: false, message, mMin, mMax, points: [] });
  if (n < 3) return fail(`the slope needs at least 3 wavelets; the forest has ${n}.`);
  if (!Number.isInteger(mMin) || mMin < 1) {
    return fail(`m_min must be an integer >= 1; got ${mMin}.`);
  }
  if (!Number.isInteger(mMax) || mMax < 1) {
    return fail(`m_max must be an integer >= 1; got ${mMax}.`);
  }
  const top = Math.min(mMax, n);
  if (top < mMin + 2) {
    return fail(
      `m_max must be at least m_min + 2 and at most ${n} (the number of wavelets); got ` +
        `m_min=${mMin}, m_max=${top}.`,
    );
  }
  // the stored M in [mMin, top]: all of them unless the curve is subsampled
  const ms = curve.m;
  const first = mtermNearestIndex(ms, mMin) + (ms[mtermNearestIndex(ms, mMin)] < mMin ? 1 : 0);
  const last = mtermNearestIndex(ms, top) - (ms[mtermNearestIndex(ms, top)] > top ? 1 : 0);
  if (last - first + 1 < 3) {
    return fail(
      `the range [${mMin}, ${top}] holds ${Math.max(last - first + 1, 0)} stored value(s) of M; ` +
        `the fit needs at least 3 (the curve keeps ${ms.length} of ${n + 1} values of M, ` +
        "log-spaced). Widen the range.",
    );
  }
  const snapped = mtermFitPoints(mMin, top).map((m) =>
    Math.min(Math.max(mtermNearestIndex(ms, m), first), last),
  );
  const indices = [...new Set(snapped)].sort((a, b) => a - b);
  const points = [];
  const xs = [];
  const ys = [];
  for (const i of indices) {
    const err = curve.error[i];
    if (err > 0) {
      points.push(ms[i]);
      xs.push(Math.log(ms[i]));
      ys.push(Math.log(err));
    }
  }
  if (points.length < 3) {
    return fail(
      `the error is zero for almost all M in [${mMin}, ${top}]: the approximation is exact ` +
        "there, so there is no decay to fit. Choose a smaller m_max.",
    );
  }
  let sx = 0.0;
  let sy = 0.0;
  for (let i = 0; i < xs.length; i++) {
    sx += xs[i];
    sy += ys[i];
  }
  const mx = sx / xs.length;
  const my = sy / ys.length;
  let sxx = 0.0;
  let sxy = 0.0;
  for (let i = 0; i < xs.length; i++) {
    const dx = xs[i] - mx;
    sxx += dx * dx;
    sxy += dx * (ys[i] - my);
  }
  const slope = sxy / sxx;
  return { ok: true, slope, alpha: -slope, intercept: my - slope * mx, mMin, mMax: top, points };
}

// why the M shown is not the M asked for
function mtermNote(curve, asked, shown) {
  const where = curve.subsampled
    ? `the curve keeps ${curve.m.length} of ${curve.n_wavelets + 1} values of M, log-spaced`
    : `M is a whole number from 0 to ${curve.n_wavelets}`;
  return `M = ${asked} is not stored (${where}); showing the nearest stored M = ${shown}.`;
}

// What the M-term window shows for its state (Python twin: mterm_shown of mterm_window.py)
export function mtermWindowShown(state) {
  const curve = state.curve;
  const ms = curve.m;
  const k = mtermNearestIndex(ms, state.m);
  const stored = ms[k] === state.m;
  const tail = mtermTail(curve);
  const fit = mtermSlope(curve, state.m_min, state.m_max);
  const alphaStar = curve.alpha_star === null || curve.alpha_star === undefined
    ? NaN : curve.alpha_star;
  return {
    m: ms[k],
    m_note: stored ? null : mtermNote(curve, state.m, ms[k]),
    error_at_m: curve.error[k],
    tail_at_m: tail[k],
    norm_at_m: k === 0 ? NaN : curve.norms[k - 1],
    fit_ok: fit.ok,
    slope: fit.ok ? fit.slope : NaN,
    alpha: fit.ok ? fit.alpha : NaN,
    intercept: fit.ok ? fit.intercept : NaN,
    fit_points: fit.points,
    fit_message: fit.ok ? null : fit.message,
    alpha_star: alphaStar,
  };
}
