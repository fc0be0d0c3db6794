// The tree window's browser-side model: one tree of a 2-D WaveletForest, its M-term
// approximation on a pixel grid and at the stored points, from arrays Python stored
// (sparsity_widgets/widgets/browser/tree_window.py, tree_payload). Python twin: tree_shown of
// the same file (same steps, same order of floating-point operations).
//
// A tree is {box, parent, wavelet, norm, order, root_mean, classes, feature_min,
// feature_scale}: per node its box [x_lo, x_hi, y_lo, y_hi] in the normalised square [0, 1]^2,
// its parent (-1 at the root), its wavelet mean_node - mean_parent (L classes) and its norm;
// the non-root nodes by decreasing norm; the root's mean. Points are {x, y, label, leaf}.

// which nodes have children (the others are leaves)
function treeHasChild(parent) {
  const out = new Array(parent.length).fill(false);
  for (const p of parent) if (p >= 0) out[p] = true;
  return out;
}

// The M-term approximation on every leaf: the root's mean, then the kept wavelets on the path
// from the leaf up to the root, in that order (as WaveletForest.predict sums them).
// Returns a Map leaf -> array of L floats.
export function treeLeafValues(tree, m) {
  const { parent, wavelet } = tree;
  const kept = new Array(parent.length).fill(false);
  for (const k of tree.order.slice(0, m)) kept[k] = true;
  const hasChild = treeHasChild(parent);
  const out = new Map();
  for (let leaf = 0; leaf < parent.length; leaf++) {
    if (hasChild[leaf]) continue;
    const value = tree.root_mean.map(Number);
    let node = leaf;
    while (parent[node] >= 0) {
      if (kept[node]) {
        const w = wavelet[node];
        for (let c = 0; c < value.length; c++) value[c] += w[c];
      }
      node = parent[node];
    }
    out.set(leaf, value);
  }
  return out;
}

// index of the first maximum (numpy.argmax)
function treeArgmax(values) {
  let best = 0;
  for (let c = 1; c < values.length; c++) if (values[c] > values[best]) best = c;
  return best;
}

// first and last pixel j (inclusive) with lo < (j + 0.5) / grid <= hi; first > last if none
export function treePixelRange(lo, hi, grid) {
  let a = Math.max(0, Math.floor(lo * grid - 0.5));
  while (a < grid && (a + 0.5) / grid <= lo) a++;
  while (a > 0 && (a - 0.5) / grid > lo) a--;
  let b = Math.min(grid - 1, Math.floor(hi * grid - 0.5));
  while (b >= 0 && (b + 0.5) / grid > hi) b--;
  while (b < grid - 1 && (b + 1.5) / grid <= hi) b++;
  return [a, b];
}

// What the tree window shows for its state (Python twin: tree_shown of tree_window.py)
export function treeWindowShown(state) {
  const { tree, points } = state;
  const grid = Number(state.grid);
  const n = tree.order.length;
  const asked = state.m;
  let m;
  let mNote = null;
  if (typeof asked !== "number" || !Number.isFinite(asked)) {
    m = 0;
    mNote = `M must be a whole number from 0 to ${n}; showing M = 0.`;
  } else {
    m = Math.min(Math.max(Math.floor(asked), 0), n);
    if (m !== asked) {
      mNote = `M must be a whole number from 0 to ${n}; got ${formatG(asked)}; showing M = ${m}.`;
    }
  }
  const values = treeLeafValues(tree, m);
  const leafClass = new Map();
  for (const [leaf, v] of values) leafClass.set(leaf, treeArgmax(v));
  const pixels = new Array(grid * grid).fill(-1);
  for (const [leaf, cls] of leafClass) {
    const [xLo, xHi, yLo, yHi] = tree.box[leaf];
    const [j0, j1] = treePixelRange(xLo, xHi, grid);
    const [i0, i1] = treePixelRange(yLo, yHi, grid);
    for (let i = i0; i <= i1; i++) {
      for (let j = j0; j <= j1; j++) pixels[i * grid + j] = cls;
    }
  }
  const labels = points.label;
  let correct = 0;
  for (let p = 0; p < labels.length; p++) {
    if (leafClass.get(points.leaf[p]) === labels[p]) correct += 1;
  }
  return {
    m,
    m_note: mNote,
    n_wavelets: n,
    accuracy: labels.length ? correct / labels.length : NaN,
    mth_norm: m >= 1 ? tree.norm[tree.order[m - 1]] : NaN,
    n_points: labels.length,
    pixel_class: pixels,
  };
}
