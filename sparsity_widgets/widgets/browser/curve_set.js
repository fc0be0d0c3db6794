// tau* and alpha* of every member of a set of stored sparsity curves (the layers of a probe
// result, the label-noise levels of a synthetic check) for one eps window and rule: the
// browser-side model of the curve-set picker. Python twin:
// sparsity_widgets/widgets/browser/curve_set.py. It reuses tauStarWindow of tau_window.js
// (concatenated before this file) on each member's whole tau grid.
//
// state: {members: [{label, position, curve, extras}], axis_label, pick, rule, eps_low,
// eps_high}; curve as in tau_window.js ({taus, log_power_sum, log_inverse_sum, n_trees}),
// extras a dict of numbers (or null) shown beside the picked member.

// One estimate per member ({ok, tauStar, alphaStar, selected, message, ...}), in order
export function curveSetEstimates(state) {
  return state.members.map((m) =>
    tauStarWindow(m.curve, state.rule, state.eps_low, state.eps_high),
  );
}

// The pick as a member index, or an error message when it names none
export function curveSetPickError(state) {
  const n = state.members.length;
  const p = state.pick;
  if (!(Number.isInteger(p) && p >= 0 && p < n)) {
    return `pick must be a member index in [0, ${n - 1}]; got ${String(p)}.`;
  }
  return null;
}

// What the curve-set picker shows for its state (Python twin: curve_set_shown of curve_set.py)
export function curveSetShown(state, estimates) {
  const results = estimates ?? curveSetEstimates(state);
  const alphaStars = results.map((r) => (r.ok ? r.alphaStar : NaN));
  const tauStars = results.map((r) => (r.ok ? r.tauStar : NaN));
  const missing = [];
  for (let i = 0; i < results.length; i++) if (!results[i].ok) missing.push(i);
  const pickError = curveSetPickError(state);
  const picked = pickError === null ? results[state.pick] : null;
  return {
    alpha_stars: alphaStars,
    tau_stars: tauStars,
    missing,
    pick: state.pick,
    label: picked ? state.members[state.pick].label : null,
    position: picked ? state.members[state.pick].position : NaN,
    ok: picked ? picked.ok : false,
    tau_star: picked && picked.ok ? picked.tauStar : NaN,
    alpha_star: picked && picked.ok ? picked.alphaStar : NaN,
    selected: picked && picked.ok ? Array.from(picked.selected) : [],
    message: picked ? (picked.ok ? null : picked.message) : pickError,
  };
}
