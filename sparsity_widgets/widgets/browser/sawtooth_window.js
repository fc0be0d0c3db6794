// The sawtooth Lambda_j and its Besov growth for any j and alpha: the browser-side model of the
// sawtooth widget. Python twin: sparsity_widgets/widgets/browser/sawtooth_window.py (same steps,
// same order of floating-point operations); both follow sparsity_widgets/sawtooth.py.
//
// The Besov semi-norm is the package's N_tau of the complete dyadic tree of Lambda_j down to
// level j + extra_levels, 1/tau = alpha + 1/2 (besov_seminorm). Its non-zero wavelet norms are
// known level by level (the book's Exercise 8.1; tests/test_sawtooth_widget.py checks that the
// package's norms are exactly these): on level l <= j the two halves of a parent have equal means,
// on level l >= j + 1 there are 2^l norms, all equal to 2^(j - l - 1) * sqrt(2^-l). So the sum over
// 2^(j + extra_levels + 1) intervals is a sum over extra_levels levels, cheap for every j.

// the largest depth of the package's tree (besov_seminorm refuses more: 2^24 intervals)
export const SAWTOOTH_MAX_DEPTH = 24;

// np.isclose(value, 1.0) of count_teeth: |value - 1| <= atol + rtol * |1|
const SAW_TOOTH_TOL = 1e-8 + 1e-5 * Math.abs(1.0);

// 2^k exactly (a product of halvings or doublings; no pow)
function sawPow2(k) {
  let out = 1.0;
  for (let i = 0; i < k; i++) out *= 2.0;
  for (let i = 0; i > k; i--) out *= 0.5;
  return out;
}

// the hat Lambda_1: 1 - |2x - 1| on [0, 1], 0 elsewhere (sawtooth.hat)
export function sawtoothHat(x) {
  return x >= 0 && x <= 1 ? 1.0 - Math.abs(2.0 * x - 1.0) : 0.0;
}

// Lambda_j at the knots k 2^-j, k = 0 .. 2^j, by composing the hat j times (sawtooth.sawtooth);
// the polyline through them is Lambda_j exactly
export function sawtoothKnots(j) {
  const n = sawPow2(j);
  const x = [];
  const f = [];
  for (let k = 0; k <= n; k++) {
    const xk = k / n;
    let v = xk;
    for (let i = 0; i < j; i++) v = sawtoothHat(v);
    x.push(xk);
    f.push(v);
  }
  return { x, f };
}

// teeth of Lambda_j: its knots where it equals 1 (count_teeth)
export function sawtoothTeeth(values) {
  let teeth = 0;
  for (const v of values) if (Math.abs(v - 1.0) <= SAW_TOOTH_TOL) teeth += 1;
  return teeth;
}

// |Lambda_j|_{B^alpha_tau}, 1/tau = alpha + 1/2, as besov_seminorm(j, alpha, 2, extraLevels)
// computes it: max-normalised tau-th powers, summed level by level (2^l equal terms each)
export function sawtoothSeminorm(j, alpha, extraLevels) {
  const tau = 1.0 / (alpha + 1.0 / 2.0);
  const norms = [];
  const counts = [];
  for (let l = j + 1; l <= j + extraLevels; l++) {
    const size = 1.0 / sawPow2(l);
    norms.push(sawPow2(j - l - 1) * Math.sqrt(size));
    counts.push(sawPow2(l));
  }
  let largest = -Infinity;
  for (const v of norms) largest = Math.max(largest, v);
  let sum = 0.0;
  for (let i = 0; i < norms.length; i++) sum += counts[i] * Math.pow(norms[i] / largest, tau);
  const logSum = Math.log(sum) + tau * Math.log(largest);
  return Math.exp(logSum / tau);
}

// least-squares slope of y against x (np.polyfit(x, y, 1)[0]); NaN for fewer than 2 points
export function sawtoothSlope(x, y) {
  const n = x.length;
  if (n < 2) return NaN;
  let mx = 0.0;
  let my = 0.0;
  for (let i = 0; i < n; i++) {
    mx += x[i];
    my += y[i];
  }
  mx /= n;
  my /= n;
  let sxy = 0.0;
  let sxx = 0.0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) * (x[i] - mx);
  }
  return sxy / sxx;
}

// why j cannot be drawn (null when it can)
function sawJProblem(j, jMax, extraLevels) {
  if (!(Number.isInteger(jMax) && jMax >= 1)) {
    return `j_max must be an integer >= 1; got ${formatG(jMax)}.`;
  }
  if (!(Number.isInteger(extraLevels) && extraLevels >= 1)) {
    return `extra_levels must be an integer >= 1; got ${formatG(extraLevels)}.`;
  }
  if (!(Number.isInteger(j) && j >= 1 && j <= jMax)) {
    return `j must be an integer in [1, ${jMax}] (the slider's range); got ${formatG(j)}.`;
  }
  if (j + extraLevels > SAWTOOTH_MAX_DEPTH) {
    return (
      `j + extra_levels must be at most ${SAWTOOTH_MAX_DEPTH} (2^${SAWTOOTH_MAX_DEPTH} ` +
      `intervals, as besov_seminorm allows); got ${j + extraLevels} (j=${j}, ` +
      `extra_levels=${extraLevels}).`
    );
  }
  return null;
}

// What the sawtooth widget shows for its state {j, alpha, j_max, extra_levels} (Python twin:
// sawtooth_shown of sawtooth_window.py). Never throws: a bad setting gives ok false and a
// message, with the picture still there when only alpha is wrong.
export function sawtoothShown(state) {
  const { j, alpha } = state;
  const jMax = state.j_max;
  const extraLevels = state.extra_levels;
  const out = {
    ok: false,
    message: null,
    tau: NaN,
    teeth: null,
    layers: null,
    x: [],
    f: [],
    seminorm: NaN,
    constant: NaN,
    growth_j: [],
    growth: [],
    log2_growth: [],
    slope: NaN,
  };
  const jProblem = sawJProblem(j, jMax, extraLevels);
  if (jProblem !== null) {
    out.message = jProblem;
    return out;
  }
  const knots = sawtoothKnots(j);
  out.x = knots.x;
  out.f = knots.f;
  out.teeth = sawtoothTeeth(knots.f);
  out.layers = 2 * j;
  if (!(typeof alpha === "number" && alpha > 0.0 && alpha < 1.0)) {
    out.message =
      `alpha must lie in (0, 1) (the wavelets of piecewise constants see no smoothness of ` +
      `order 1 or more); got ${formatG(alpha)}.`;
    return out;
  }
  out.tau = 1.0 / (alpha + 1.0 / 2.0);
  for (let i = 1; i <= j; i++) {
    const value = sawtoothSeminorm(i, alpha, extraLevels);
    out.growth_j.push(i);
    out.growth.push(value);
    out.log2_growth.push(Math.log2(value));
  }
  out.seminorm = out.growth[j - 1];
  out.constant = out.seminorm / Math.pow(2.0, j * alpha);
  out.slope = sawtoothSlope(out.growth_j, out.log2_growth);
  out.ok = true;
  return out;
}
