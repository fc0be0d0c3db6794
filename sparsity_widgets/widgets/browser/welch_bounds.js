// Welch and chain bounds of the deep frame potential (Murdock & Lucey, CVPR 2020): the
// browser-side model of the Welch-bounds widget. Python twin:
// sparsity_widgets/widgets/browser/welch_bounds.py (same steps, same order of floating-point
// operations); both follow sparsity_widgets/frames/coherence.py (welch_bound),
// frames/bounds.py (chain_lower_bound) and frames/induced.py (make_architecture's counts).
//
// The closed forms are computed here for any (structure, d, k, depth); the minima that need an
// optimisation (min F^2 by L-BFGS, mu^2 of random and optimised dictionaries) come from the
// precomputed grid in the state ({d, k, depth, max_iter, seed, entries: {"s/d/k/l": [min_f2,
// optimised_mu2, random_mu2, random_f2, converged]}}), and a setting outside it says so.

export const WB_STRUCTURES = ["chain", "residual", "dense"];

// Welch bound on mu^2 (and F^2) of k unit vectors in R^d: max(0, (k - d) / (d (k - 1)))
export function wbWelch(d, k) {
  return Math.max(0.0, (k - d) / (d * (k - 1)));
}

// The edges [source, target, isParam] of make_architecture(structure, (d, k, ..., k))
export function wbEdges(structure, depth) {
  const edges = [];
  if (structure === "dense") {
    for (let t = 1; t <= depth; t++) for (let s = 0; s < t; s++) edges.push([s, t, true]);
    return edges;
  }
  for (let j = 1; j <= depth; j++) edges.push([j - 1, j, true]);
  if (structure === "residual") {
    for (let j = 2; j < depth; j += 2) edges.push([j - 1, j + 1, false]);
  }
  return edges;
}

// rows, atoms and N(G) of the induced dictionary (Architecture.n_rows / n_atoms /
// n_structural_nonzeros), for the widths `widths` and the edges of wbEdges
export function wbCounts(widths, edges) {
  const depth = widths.length - 1;
  let rows = 0;
  for (const [s] of edges) rows += widths[s];
  let atoms = 0;
  for (let j = 1; j <= depth; j++) atoms += widths[j];
  let nonzero = 0;
  for (let t = 1; t <= depth; t++) {
    if (edges.some(([, target, param]) => target === t && param)) {
      nonzero += widths[t] * (widths[t] - 1);
    }
  }
  for (const [s, t, param] of edges) {
    if (s >= 1) nonzero += 2 * (param ? widths[s] * widths[t] : widths[s]);
  }
  return { rows, atoms, nonzero };
}

// chain_lower_bound(widths): dynamic programming over the integer T_j (frames/bounds.py).
// Returns {frameP, gram, counts, nonzero}.
export function wbChainBound(widths) {
  const k = widths;
  const depth = k.length - 1;
  const { atoms, nonzero } = wbCounts(k, wbEdges("chain", depth));
  let gram;
  let counts = [];
  if (depth === 1) {
    gram = (k[1] * k[1]) / k[0];
  } else {
    let value = [];
    for (let T = 0; T <= k[1]; T++) value.push((k[1] - T) ** 2 / k[0]);
    const back = [];
    for (let j = 2; j < depth; j++) {
      const next = [];
      const arg = [];
      for (let cur = 0; cur <= k[j]; cur++) {
        let best = Infinity;
        let where = 0;
        for (let prev = 0; prev <= k[j - 1]; prev++) {
          const total = value[prev] + (k[j] - cur + prev) ** 2 / k[j - 1];
          if (total < best) {
            best = total;
            where = prev;
          }
        }
        next.push(best);
        arg.push(where);
      }
      back.push(arg);
      value = next;
    }
    let bestIndex = 0;
    let bestValue = Infinity;
    for (let prev = 0; prev <= k[depth - 1]; prev++) {
      const final = value[prev] + (k[depth] + prev) ** 2 / k[depth - 1];
      if (final < bestValue) {
        bestValue = final;
        bestIndex = prev;
      }
    }
    gram = bestValue;
    const path = [bestIndex];
    for (let b = back.length - 1; b >= 0; b--) path.push(back[b][path[path.length - 1]]);
    counts = path.reverse();
  }
  gram = Math.max(gram, atoms); // ||G||^2 >= Tr G
  return { frameP: (gram - atoms) / nonzero, gram, counts, nonzero };
}

// a number as Python's str() writes an int or a float read from JSON
function wbText(v) {
  if (typeof v === "string") return JSON.stringify(v).replaceAll('"', "'");
  return String(v);
}

// why a setting cannot be computed, or null
export function wbCheck(state) {
  if (!WB_STRUCTURES.includes(state.structure)) {
    return `structure must be one of ${WB_STRUCTURES.join(", ")}; got ${wbText(state.structure)}.`;
  }
  const limits = [
    ["d", 1, state.d_max],
    ["k", 2, state.k_max],
    ["depth", 1, state.depth_max],
  ];
  for (const [name, lo, hi] of limits) {
    const v = state[name];
    if (typeof v !== "number" || !Number.isInteger(v) || v < lo || v > hi) {
      return `${name} must be an integer in [${lo}, ${hi}] (the slider's range); got ${wbText(v)}.`;
    }
  }
  return null;
}

export function wbWidths(d, k, depth) {
  const widths = [d];
  for (let j = 0; j < depth; j++) widths.push(k);
  return widths;
}

function wbGridText(values) {
  return `{${values.join(", ")}}`;
}

// the precomputed minima of a setting: {found, entry, message}
export function wbLookup(grid, structure, d, k, depth) {
  const entry = grid.entries[`${structure}/${d}/${k}/${depth}`];
  if (entry !== undefined) return { found: true, entry, message: null };
  return {
    found: false,
    entry: null,
    message:
      `not precomputed: the minima were computed for d in ${wbGridText(grid.d)}, k in ` +
      `${wbGridText(grid.k)} and depth in ${wbGridText(grid.depth)}; move the sliders to one ` +
      "of those values (the closed-form bounds are exact everywhere)",
  };
}

// Everything the view displays for a state (Python twin: welch_bounds_shown)
export function welchBoundsShown(state) {
  const problem = wbCheck(state);
  const nan = NaN;
  if (problem !== null) {
    return {
      ok: false, message: problem, widths: [], welch: nan, welch_induced: nan, n_rows: null,
      n_atoms: null, n_nonzero: null, is_chain: false, chain_bound: nan, chain_gram: nan,
      chain_counts: [], precomputed: false, lookup_message: null, min_f2: nan,
      optimised_mu2: nan, random_mu2: nan, random_f2: nan, converged: null,
      k_values: [], welch_over_k: [], chain_over_k: [], induced_over_k: [], min_f2_over_k: [],
      depth_values: [], chain_over_depth: [], induced_over_depth: [], min_f2_over_depth: [],
    };
  }
  const { structure, d, k, depth, grid } = state;
  const widths = wbWidths(d, k, depth);
  const edges = wbEdges(structure, depth);
  const counts = wbCounts(widths, edges);
  const chain = wbChainBound(widths);
  const found = wbLookup(grid, structure, d, k, depth);
  const e = found.entry;
  const induced = (kk, ll) => {
    const c = wbCounts(wbWidths(d, kk, ll), wbEdges(structure, ll));
    return wbWelch(c.rows, c.atoms);
  };
  const minAt = (kk, ll) => {
    const hit = grid.entries[`${structure}/${d}/${kk}/${ll}`];
    return hit === undefined ? nan : hit[0];
  };
  const kValues = [];
  for (let kk = 2; kk <= state.k_max; kk++) kValues.push(kk);
  const depthValues = [];
  for (let ll = 1; ll <= state.depth_max; ll++) depthValues.push(ll);
  return {
    ok: true,
    message: null,
    widths,
    welch: wbWelch(d, k),
    welch_induced: wbWelch(counts.rows, counts.atoms),
    n_rows: counts.rows,
    n_atoms: counts.atoms,
    n_nonzero: counts.nonzero,
    // the chain bound holds for this structure when its network is a chain (no extra edges)
    is_chain: edges.length === depth,
    chain_bound: chain.frameP,
    chain_gram: chain.gram,
    chain_counts: chain.counts,
    precomputed: found.found,
    lookup_message: found.message,
    min_f2: found.found ? e[0] : nan,
    optimised_mu2: found.found ? e[1] : nan,
    random_mu2: found.found ? e[2] : nan,
    random_f2: found.found ? e[3] : nan,
    converged: found.found ? e[4] : null,
    k_values: kValues,
    welch_over_k: kValues.map((kk) => wbWelch(d, kk)),
    chain_over_k: kValues.map((kk) => wbChainBound(wbWidths(d, kk, depth)).frameP),
    induced_over_k: kValues.map((kk) => induced(kk, depth)),
    min_f2_over_k: kValues.map((kk) => minAt(kk, depth)),
    depth_values: depthValues,
    chain_over_depth: depthValues.map((ll) => wbChainBound(wbWidths(d, k, ll)).frameP),
    induced_over_depth: depthValues.map((ll) => induced(k, ll)),
    min_f2_over_depth: depthValues.map((ll) => minAt(k, ll)),
  };
}
