// A collapse study's numbers at one layer and epoch: means and standard deviations over the
// seeds (ddof = 0) and the mean curves over the epochs. Python twin:
// sparsity_widgets/widgets/browser/collapse_window.py (same steps, same order of operations).
//
// state.study is collapse_payload(result, dataset): {dataset, epochs, layers, variants: [{name,
// seeds, it_epochs, it_reached, values: {q: [seed][epoch][layer]}, network: {q: [seed][epoch]},
// alpha_it: [seed][layer], alpha_end: [seed][layer]}]}, JSON null for a missing value.

export const COLLAPSE_BOTH = "both";
export const COLLAPSE_LAYER_VALUES = ["lambda_train", "lambda_test", "nc1", "ncc_accuracy_test"];
export const COLLAPSE_NETWORK_VALUES = ["train_accuracy", "test_accuracy"];

const collapseNum = (v) => (v === null || v === undefined ? NaN : Number(v));

// mean and standard deviation (ddof = 0), summed in order (the twin's spread)
export function collapseSpread(values) {
  let total = 0.0;
  for (const v of values) total += v;
  const mean = total / values.length;
  let square = 0.0;
  for (const v of values) square += (v - mean) * (v - mean);
  return [mean, Math.sqrt(square / values.length)];
}

function collapseVariantNumbers(variant, layer, e, nEpochs) {
  const out = { seeds: [...variant.seeds], it_epochs: [...variant.it_epochs] };
  for (const q of COLLAPSE_LAYER_VALUES) {
    const perSeed = variant.values[q];
    out[q] = collapseSpread(perSeed.map((run) => collapseNum(run[e][layer])));
    const curve = [];
    for (let k = 0; k < nEpochs; k++) {
      curve.push(collapseSpread(perSeed.map((run) => collapseNum(run[k][layer])))[0]);
    }
    out[`${q}_curve`] = curve;
  }
  for (const q of COLLAPSE_NETWORK_VALUES) {
    out[q] = collapseSpread(variant.network[q].map((run) => collapseNum(run[e])));
  }
  for (const q of ["alpha_it", "alpha_end"]) {
    out[q] = collapseSpread(variant[q].map((run) => collapseNum(run[layer])));
  }
  return out;
}

// What the collapse window shows for its state (twin: collapse_shown)
export function collapseWindowShown(state) {
  const { layers, epochs } = state.study;
  const names = state.study.variants.map((v) => v.name);
  const { layer, epoch_index: e, variant } = state;
  let problem = null;
  if (!(Number.isInteger(layer) && layer >= 0 && layer < layers.length)) {
    problem = `layer must be a position in [0, ${layers.length - 1}]; got ${layer}.`;
  } else if (!(Number.isInteger(e) && e >= 0 && e < epochs.length)) {
    problem = `epoch_index must be a position in [0, ${epochs.length - 1}]; got ${e}.`;
  } else if (![...names, COLLAPSE_BOTH].includes(variant)) {
    const valid = [...names, COLLAPSE_BOTH].map((n) => `'${n}'`).join(", ");
    problem = `variant must be one of [${valid}]; got '${variant}'.`;
  }
  if (problem !== null) {
    return { ok: false, message: problem, layer_name: null, epoch: null, variants: {} };
  }
  const shown = variant === COLLAPSE_BOTH ? names : [variant];
  const variants = {};
  for (const v of state.study.variants) {
    if (shown.includes(v.name)) {
      variants[v.name] = collapseVariantNumbers(v, layer, e, epochs.length);
    }
  }
  return { ok: true, message: null, layer_name: layers[layer], epoch: epochs[e], variants };
}
