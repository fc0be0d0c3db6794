// The sums of Lemma 3.1 for any tau and depth: the browser-side model of the LemmaSums widget.
// Python twin: sparsity_widgets/widgets/browser/lemma_sums.py (same steps, same order of
// floating-point operations); it equals sparsity_widgets.dyadic.dyadic_level_sums.
//
// A domain is {key, label, cells, tau_star, grid_levels, depth, levels}: levels[k - 1] holds
// the distinct non-zero |E_child - E_parent| of level k of the isotropic dyadic tree (values)
// and how many parents have each (counts); every parent has two children, each that far from it.

// a pair ratio within [1 - LEMMA_RATIO_BAND, 1 + LEMMA_RATIO_BAND]: a constant step per pair
export const LEMMA_RATIO_BAND = 0.02;

// Python's f"{x:.{digits}f}" for the values shown (no exact decimal ties among them)
const lemmaFixed = (x, digits) => x.toFixed(digits);

// a number as Python's _number_text writes it (String does: integral floats without ".0")
const lemmaNumberText = (x) => String(x);

// sum ||psi||^tau over each level 1..depth: 2 sum_j counts_j (values_j 2^(-k/2))^tau
export function lemmaLevelSums(levels, tau, depth) {
  const sums = [];
  for (let level = 1; level <= depth; level++) {
    const entry = levels[level - 1];
    const scale = Math.pow(2.0, -level / 2.0); // |box|^(1/2) at level k
    let total = 0.0;
    for (let j = 0; j < entry.values.length; j++) {
      total += entry.counts[j] * Math.pow(entry.values[j] * scale, tau);
    }
    sums.push(2.0 * total);
  }
  return sums;
}

// [verdict, pair ratio, tail estimate, sentence] for the partial sums up to depth K
function lemmaVerdict(sums, partial) {
  const depth = sums.length;
  if (depth < 4) {
    return ["too shallow", NaN, NaN,
      `depth ${depth} < 4: too few levels to compare two pairs of levels.`];
  }
  const last = sums[depth - 2] + sums[depth - 1];
  const before = sums[depth - 4] + sums[depth - 3];
  const pair = `levels ${depth - 1}-${depth}`;
  const earlier = `levels ${depth - 3}-${depth - 2}`;
  if (last === 0.0) {
    return ["levels off", before === 0.0 ? NaN : 0.0, 0.0,
      `levels off: ${pair} add nothing (the boundary runs along grid lines there).`];
  }
  if (before === 0.0) {
    return ["grows", Infinity, NaN,
      `grows: ${pair} are the first to add anything (${earlier} add nothing).`];
  }
  const ratio = last / before;
  if (ratio < 1.0 - LEMMA_RATIO_BAND) {
    const tail = (last * ratio) / (1.0 - ratio);
    const share = (100.0 * tail) / partial[depth - 1];
    return ["levels off", ratio, tail,
      `levels off: ${pair} add ${lemmaFixed(ratio, 3)} times what ${earlier} added; if that ` +
        `ratio held, the levels beyond ${depth} would add about ${lemmaFixed(share, 1)}% more.`];
  }
  if (ratio <= 1.0 + LEMMA_RATIO_BAND) {
    return ["grows slowly", ratio, NaN,
      `grows by about a constant step per pair of levels (${pair} add ` +
        `${lemmaFixed(ratio, 3)} times what ${earlier} added): the borderline, N_tau^tau ` +
        "grows like the depth."];
  }
  return ["grows", ratio, NaN,
    `grows: ${pair} add ${lemmaFixed(ratio, 3)} times what ${earlier} added, so N_tau^tau ` +
      "grows geometrically with the depth."];
}

function lemmaText(domain, tau) {
  if (tau >= 2.0) return "the definition of N_tau stops at tau < 2.";
  if (domain.tau_star === 0.0) {
    return "finite for every tau in (0, 2): the edges lie on grid lines from level 4 on, so " +
      "T_I is an adaptive tree for this square (Lemma 3.2).";
  }
  const finite = tau > domain.tau_star;
  return `Lemma 3.1: N_tau < infinity iff 1 < tau < 2; at tau = ${lemmaFixed(tau, 2)} ` +
    (finite ? "finite: the sums level off." : "infinite: the sums grow without bound.");
}

// What the Lemma 3.1 widget shows for its state {domains, domain, tau, depth}
// (Python twin: lemma_sums_shown). Never throws for a setting: {ok: false, message} instead.
export function lemmaSumsShown(state) {
  const domains = state.domains;
  const keys = domains.map((d) => d.key);
  const key = state.domain;
  const tau = state.tau;
  const depth = state.depth;
  const failed = {
    ok: false, message: null, note: null, domain: key, depth_used: 0, precomputed_depth: 0,
    level_sums: [], partial_sums: [], log10_n_tau: NaN, pair_ratio: NaN, tail_estimate: NaN,
    verdict: "none", verdict_text: "", lemma: "",
  };
  if (!keys.includes(key)) {
    return { ...failed, message: `domain must be one of ${keys.join(", ")}; got '${key}'.` };
  }
  if (!(typeof tau === "number" && tau > 0.0)) {
    return { ...failed, message: `tau must be a number > 0; got ${lemmaNumberText(tau)}.` };
  }
  if (!(typeof depth === "number" && Number.isInteger(depth) && depth >= 1)) {
    return { ...failed, message: `depth must be an integer >= 1; got ${lemmaNumberText(depth)}.` };
  }
  const domain = domains[keys.indexOf(key)];
  const available = domain.depth;
  const used = Math.min(depth, available);
  const notes = [];
  if (depth > available) {
    const finer = Math.floor((depth + 1) / 2);
    const m = domain.grid_levels;
    notes.push(
      `depth ${depth} is beyond what is precomputed for the ${domain.label}: its grid of ` +
        `2^${m} x 2^${m} cells gives levels 1 to ${available}, shown to depth ${available} ` +
        `(build the widget with levels={'${key}': ${finer}} for more).`,
    );
  }
  if (tau >= 2.0) {
    notes.push(
      `tau = ${lemmaFixed(tau, 2)} lies outside the definition's 0 < tau < 2: at tau = 2 the ` +
        "sum is the energy ||f - mean||^2, finite for every square-integrable f, so the " +
        "lemma's upper bound 2 is the definition's range, not a divergence.",
    );
  }
  const sums = lemmaLevelSums(domain.levels, tau, used);
  const partial = [];
  let running = 0.0;
  for (const value of sums) {
    running += value;
    partial.push(running);
  }
  const [verdict, ratio, tail, text] = lemmaVerdict(sums, partial);
  return {
    ok: true,
    message: null,
    note: notes.length ? notes.join(" ") : null,
    domain: key,
    depth_used: used,
    precomputed_depth: available,
    level_sums: sums,
    partial_sums: partial,
    log10_n_tau: partial[used - 1] > 0.0 ? Math.log10(partial[used - 1]) / tau : -Infinity,
    pair_ratio: ratio,
    tail_estimate: tail,
    verdict,
    verdict_text: text,
    lemma: lemmaText(domain, tau),
  };
}
