"""Exact level-wise regression-tree growth: the splits of scikit-learn's ``squared_error`` trees.

This module grows one tree of a random forest on presorted feature lists and returns its flat
arrays (global conventions of :mod:`sparsity_widgets._numerics`). It imports numpy and numba
only; validation, random draws and bootstrap weights live in :mod:`sparsity_widgets.tree_builder`.

Algorithm
---------
Each feature keeps a list of the in-bag samples still being split (samples of leaves drop out),
sorted by the feature's value and grouped by node: node ``a`` owns positions
``seg[a]:seg[a + 1]`` of every feature's list. An entry packs ``(sample << 32) | float32 bits``,
so scans read values sequentially and partitions move one word. The lists are built per tree by
a stable radix sort of values gathered from the caller's ``X`` (normalised on the fly, in tiles,
so no transposed or normalised copy of ``X`` is made). One level of the tree costs, per feature
(in parallel over features):

1. a stable in-place partition of the list by the previous level's splits (each node's samples
   go to its left or right child, or drop out when that child is a leaf), then
2. one scan of each node's segment, moving samples from the right child to the left one and
   evaluating scikit-learn's proxy improvement
   ``sum_k S_left_k^2 / W_left + sum_k S_right_k^2 / W_right`` at every position whose value
   exceeds the previous one by more than ``FEATURE_THRESHOLD`` (float32 arithmetic, as in
   scikit-learn's partitioner).

For one-hot targets the scan keeps ``Q_left = sum_k S_left_k^2`` and ``D = sum_k T_k S_left_k``
(``T`` the node's class totals), both updated in O(1) per sample, and gets
``Q_right = sum_T^2 - 2 D + Q_left``. With integer (bootstrap) weights every one of these is an
exact integer, so the proxy ``Q_left / W_left + Q_right / W_right`` is bit-identical to
scikit-learn's. A cheap multiplication-only test discards candidates that cannot beat the
node's best before the two divisions are paid, and since moving one sample of weight ``w``
raises the one-hot proxy by less than ``3 w`` (left term < ``2 w``, right term <= ``w``), a
candidate short of the best by ``g`` lets the scan skip the test for the next ``g / 3`` of left
weight (with a 1e-9 relative margin). Real targets take an O(n_outputs) path.

The two heavy kernels exist as parallel and serial compilations: below ``_PARALLEL_WORK`` list
entries x features per level the serial one runs (waking worker threads costs more there).

Ties: within a feature the first (lowest) threshold wins, as in scikit-learn; between features
the lowest feature index wins (scikit-learn breaks those ties by its random feature order).
Workers own contiguous feature ranges and their bests are merged by (proxy, lowest feature), so
the tree does not depend on the number of threads.
"""

from __future__ import annotations

import types

import numba
import numpy as np

__all__ = [
    "EPSILON",
    "FEATURE_THRESHOLD",
    "feature_permutation_prefix",
    "grow_tree",
    "node_seed",
]

FEATURE_THRESHOLD = np.float32(1e-7)  # scikit-learn's _partitioner.pxd, compared in float32
EPSILON = float(np.finfo(np.float64).eps)  # scikit-learn's _tree.pyx: purity and improvement
_SHRINK = 1.0 - 1e-12  # margin of the division-free pre-test (rounding is ~1e-16)
_SKIP_MARGIN = 1e-9  # relative safety margin of the skip bound (rounding is ~1e-16)
_MASK64 = 0xFFFFFFFFFFFFFFFF


# --------------------------------------------------------------------------- random draws
@numba.njit(cache=True, error_model="numpy")
def _splitmix64(x):
    x = x + np.uint64(0x9E3779B97F4A7C15)
    z = x
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    z = z ^ (z >> np.uint64(31))
    return x, z


@numba.njit(cache=True, error_model="numpy")
def _node_state(seed, node_id):
    _, z = _splitmix64(np.uint64(seed) ^ (np.uint64(node_id) * np.uint64(0xD1B54A32D192ED03)))
    return z


@numba.njit(cache=True, error_model="numpy")
def _draw_prefix(state, perm, swaps, count):
    """Partial Fisher-Yates: ``perm[:count]`` becomes the node's first ``count`` features."""
    d = perm.shape[0]
    for j in range(count):
        state, z = _splitmix64(state)
        t = j + np.int64(z % np.uint64(d - j))
        swaps[j] = t
        tmp = perm[j]
        perm[j] = perm[t]
        perm[t] = tmp
    return state


@numba.njit(cache=True, error_model="numpy")
def _undo_prefix(perm, swaps, count):
    for j in range(count - 1, -1, -1):
        t = swaps[j]
        tmp = perm[j]
        perm[j] = perm[t]
        perm[t] = tmp


def node_seed(seed: int, node_id: int) -> int:
    """Random state of one node's feature draw (pure Python, for the NumPy twin).

    Parameters
    ----------
    seed : int
        The tree's seed, ``0 <= seed < 2**64``.
    node_id : int
        Breadth-first index of the node in its tree.

    Returns
    -------
    int
        The node's splitmix64 state.
    """
    x = (seed ^ ((node_id * 0xD1B54A32D192ED03) & _MASK64)) & _MASK64
    return _splitmix64_py(x)[1]


def _splitmix64_py(x: int) -> tuple[int, int]:
    x = (x + 0x9E3779B97F4A7C15) & _MASK64
    z = x
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
    return x, z ^ (z >> 31)


def feature_permutation_prefix(seed: int, node_id: int, n_features: int, count: int) -> list[int]:
    """The first ``count`` features a node visits, in visiting order (pure Python twin).

    Parameters
    ----------
    seed : int
        The tree's seed.
    node_id : int
        Breadth-first index of the node in its tree.
    n_features, count : int

    Returns
    -------
    list of int, length ``count``
    """
    perm = list(range(n_features))
    state = node_seed(seed, node_id)
    for j in range(count):
        state, z = _splitmix64_py(state)
        t = j + z % (n_features - j)
        perm[j], perm[t] = perm[t], perm[j]
    return perm[:count]


# --------------------------------------------------------------------------- presorting
# A list entry packs a sample and its feature value: (sample << 32) | float32 bits. The scan
# reads values sequentially (no random access into a column) and the partition moves one word.
_TILE = 64  # rows per gather tile
_GATHER_BYTES = 16 * 2**20  # per-thread buffer of the features gathered in one pass


def gather_block(n_in_bag: int, n_features: int, n_chunks: int = 1) -> int:
    """Features gathered per pass over the rows: a C-ordered row of X is read in runs of this
    many values (rows are far apart in memory, so each pass costs one page touch per row).
    At most ``_GATHER_BYTES`` of buffer, and at least ``n_chunks`` blocks to share out."""
    block = _GATHER_BYTES // (4 * max(1, n_in_bag))
    share = -(-n_features // max(1, n_chunks))
    block = min(block, share + (-share) % 16)
    return int(min(max(16, block - block % 16), 512, max(1, n_features)))


def _gather_sort(X, minimum, scale, inbag, lst, block):
    """``lst[f, :m]``: the in-bag samples sorted by the float32 value
    ``float32((X[s, f] - minimum[f]) / scale[f])`` (stable LSD radix sort), packed."""
    d = X.shape[1]
    m = inbag.shape[0]
    n_blocks = (d + block - 1) // block
    for blk in numba.prange(n_blocks):
        f0 = blk * block
        nb = min(block, d - f0)
        vals = np.empty((block, m), dtype=np.float32)
        tile = np.empty((_TILE, block), dtype=np.float32)
        for i0 in range(0, m, _TILE):
            # read a tile of rows (runs of nb values each), then write it out feature by feature
            ni = min(_TILE, m - i0)
            for t in range(ni):
                s = inbag[i0 + t]
                for j in range(nb):
                    f = f0 + j
                    tile[t, j] = np.float32((np.float64(X[s, f]) - minimum[f]) / scale[f])
            for j in range(nb):
                for t in range(ni):
                    vals[j, i0 + t] = tile[t, j]
        buf = np.empty(m, dtype=np.uint64)
        buf2 = np.empty(m, dtype=np.uint64)
        hist = np.empty((3, 2048), dtype=np.int64)
        for j in range(nb):
            bits = vals[j].view(np.uint32)
            hist[:, :] = 0
            for i in range(m):
                b = bits[i]
                # order-preserving map of IEEE float32 bits to unsigned integers
                if b & np.uint32(0x80000000):
                    b = ~b
                else:
                    b = b | np.uint32(0x80000000)
                # sort (key << 32 | sample) words: one scatter stream per bucket, not two
                buf[i] = (np.uint64(b) << np.uint64(32)) | np.uint64(inbag[i])
                # the three digit histograms in one pass
                hist[0, np.int64(b & np.uint32(0x7FF))] += 1
                hist[1, np.int64((b >> np.uint32(11)) & np.uint32(0x7FF))] += 1
                hist[2, np.int64(b >> np.uint32(22))] += 1
            src = buf
            dst = buf2
            for r in range(3):
                single = False
                for q in range(2048):
                    if hist[r, q] == m:
                        single = True  # every key has this digit: the pass changes nothing
                        break
                if single:
                    continue
                total = 0
                for q in range(2048):
                    h = hist[r, q]
                    hist[r, q] = total
                    total += h
                shift = np.uint64(32 + 11 * r)
                for i in range(m):
                    e = src[i]
                    q = np.int64((e >> shift) & np.uint64(0x7FF))
                    p = hist[r, q]
                    hist[r, q] = p + 1
                    dst[p] = e
                src, dst = dst, src
            row = lst[f0 + j]
            for i in range(m):
                e = src[i]
                k = np.uint32(e >> np.uint64(32))
                if k & np.uint32(0x80000000):
                    b = k & np.uint32(0x7FFFFFFF)
                else:
                    b = ~k
                row[i] = (e << np.uint64(32)) | np.uint64(b)


# --------------------------------------------------------------------------- one level
@numba.njit(cache=True, error_model="numpy")
def _partition_row(row, side, old_seg, old_dst, old_keep, tmp):
    """Stable in-place partition of one feature's list into the children's segments."""
    for a in range(old_seg.shape[0] - 1):
        if old_keep[a] == 0:
            continue
        # unsigned indices spare numba's negative-index wraparound code in the hot loops
        w = np.uint64(old_dst[a])
        t = np.uint64(0)
        for i in range(np.uint64(old_seg[a]), np.uint64(old_seg[a + 1])):
            # branch-free: left and right are equally likely, a branch would mispredict
            e = row[i]
            c = side[e >> np.uint64(32)]
            row[w] = e
            tmp[t] = e
            w += np.uint64(c == 0)
            t += np.uint64(c == 1)
        for j in range(t):
            row[w + j] = tmp[j]


@numba.njit(cache=True, error_model="numpy")
def _scan_onehot(rowf, rowi, code, a0, a1, tot, qtot, wtot, n_node, min_leaf, sl, bp):
    """Best split of one node along one feature, one-hot target (class in ``code >> 8``).

    ``rowf[2 i]`` / ``rowi[2 i + 1]`` are the value / sample of list entry ``i``.
    Returns (best proxy, found, samples left, threshold, feature is non-constant).
    """
    n_out = sl.shape[0]
    if a1 - a0 < n_out:
        for i in range(a0, a1):
            sl[np.uint32(code[np.uint32(rowi[2 * i + 1])]) >> np.uint32(8)] = 0.0
    else:
        for k in range(n_out):
            sl[k] = 0.0
    x0 = rowf[2 * a0]
    cd = np.uint32(code[np.uint32(rowi[2 * a0 + 1])])
    k = cd >> np.uint32(8)
    w = np.float64(cd & np.uint32(255))
    ql = w * w
    sl[k] = w
    dd = w * tot[k]
    wl = w
    nl = 1
    last = x0
    found = False
    bnl = 0
    bthr = 0.0
    skip_w = 0.0  # no position before the left weight reaches this can beat bp
    for i in range(np.uint64(a0 + 1), np.uint64(a1)):
        x = rowf[np.uint64(2) * i]
        if wl >= skip_w and x > last + FEATURE_THRESHOLD:
            if nl >= min_leaf and n_node - nl >= min_leaf:
                wr = wtot - wl
                qr = qtot - 2.0 * dd + ql
                num = ql * wr + qr * wl
                den = wl * wr
                lhs = bp * den
                if num <= lhs * _SHRINK:
                    # cannot beat bp (margin far above rounding): no divisions. Moving a
                    # sample of weight w raises the proxy by less than 3 w, so positions
                    # within a left weight of gap / 3 cannot beat bp either: skip them.
                    # division-free: gap * den = lhs - num, tested against 3 * step
                    slack = lhs - num - _SKIP_MARGIN * (abs(bp) + 1.0) * den
                    if slack > 192.0 * den:
                        skip_w = wl + 64.0
                    elif slack > 48.0 * den:
                        skip_w = wl + 16.0
                    elif slack > 12.0 * den:
                        skip_w = wl + 4.0
                else:
                    p = ql / wl + qr / wr
                    if p > bp:
                        bp = p
                        found = True
                        bnl = nl
                        bthr = np.float64(last) / 2.0 + np.float64(x) / 2.0
        cd = np.uint32(code[np.uint32(rowi[np.uint64(2) * i + np.uint64(1)])])
        k = cd >> np.uint32(8)
        w = np.float64(cd & np.uint32(255))
        ql += w * (2.0 * sl[k] + w)
        sl[k] += w
        dd += w * tot[k]
        wl += w
        nl += 1
        last = x
    return bp, found, bnl, bthr, last > x0 + FEATURE_THRESHOLD


@numba.njit(cache=True, error_model="numpy")
def _scan_general(rowf, rowi, y, wt, a0, a1, tot, wtot, n_node, min_leaf, sl, bp):
    """Best split of one node along one feature, real multi-output target."""
    n_out = sl.shape[0]
    for k in range(n_out):
        sl[k] = 0.0
    x0 = rowf[2 * a0]
    s = np.uint32(rowi[2 * a0 + 1])
    w = wt[s]
    for k in range(n_out):
        sl[k] += w * y[s, k]
    wl = w
    nl = 1
    last = x0
    found = False
    bnl = 0
    bthr = 0.0
    for i in range(a0 + 1, a1):
        x = rowf[2 * i]
        if x > last + FEATURE_THRESHOLD:
            if nl >= min_leaf and n_node - nl >= min_leaf:
                wr = wtot - wl
                ql = 0.0
                qr = 0.0
                for k in range(n_out):
                    ql += sl[k] * sl[k]
                    r = tot[k] - sl[k]
                    qr += r * r
                if not (ql * wr + qr * wl <= bp * (wl * wr) * _SHRINK):
                    p = ql / wl + qr / wr
                    if p > bp:
                        bp = p
                        found = True
                        bnl = nl
                        bthr = np.float64(last) / 2.0 + np.float64(x) / 2.0
        s = np.uint32(rowi[2 * i + 1])
        w = wt[s]
        for k in range(n_out):
            sl[k] += w * y[s, k]
        wl += w
        nl += 1
        last = x
    return bp, found, bnl, bthr, last > x0 + FEATURE_THRESHOLD


def _level(
    lst,
    onehot,
    code,
    y,
    wt,
    side,
    old_seg,
    old_dst,
    old_keep,
    tmp_size,
    seg,
    tot,
    qtot,
    wtot,
    cnt,
    use_mask,
    mask,
    min_leaf,
    n_chunks,
    best_p,
    best_f,
    best_nl,
    best_thr,
    nonconst,
):
    """Partition every feature's list by the last level's splits, then find each node's best
    split per worker (feature range ``c``): ``best_*[c, node]``; ``best_f`` is -1 if none."""
    d = lst.shape[0]
    n_nodes = seg.shape[0] - 1
    n_out = tot.shape[1]
    partition = old_seg.shape[0] > 1
    for c in numba.prange(n_chunks):
        for a in range(n_nodes):
            best_p[c, a] = -np.inf
            best_f[c, a] = -1
            best_nl[c, a] = 0
            best_thr[c, a] = 0.0
            nonconst[c, a] = False
        tmp = np.empty(tmp_size, dtype=np.uint64)
        sl = np.zeros(n_out, dtype=np.float64)
        for f in range(c * d // n_chunks, (c + 1) * d // n_chunks):
            row = lst[f]
            if partition:
                _partition_row(row, side, old_seg, old_dst, old_keep, tmp)
            rowf = row.view(np.float32)
            rowi = row.view(np.int32)
            for a in range(n_nodes):
                if use_mask and mask[f, a] == 0:
                    continue
                if onehot:
                    bp, found, bnl, bthr, nc = _scan_onehot(
                        rowf, rowi, code, seg[a], seg[a + 1], tot[a], qtot[a], wtot[a], cnt[a],
                        min_leaf, sl, best_p[c, a],
                    )  # fmt: skip
                else:
                    bp, found, bnl, bthr, nc = _scan_general(
                        rowf, rowi, y, wt, seg[a], seg[a + 1], tot[a], wtot[a], cnt[a],
                        min_leaf, sl, best_p[c, a],
                    )  # fmt: skip
                if nc:
                    nonconst[c, a] = True
                if found:
                    best_p[c, a] = bp
                    best_f[c, a] = f
                    best_nl[c, a] = bnl
                    best_thr[c, a] = bthr


def _serial_copy(func):
    """The same function under another name: numba names its cache files after the qualified
    name, so the serial and parallel compilations do not overwrite each other's entries."""
    copy = types.FunctionType(
        func.__code__, func.__globals__, func.__name__ + "_serial", func.__defaults__
    )
    copy.__qualname__ = func.__qualname__ + "_serial"
    return copy


# Parallel and serial compilations of the two heavy kernels: on small problems (and on a busy
# machine, where waking the worker threads can take milliseconds) the serial one is faster.
_gather_sort_par = numba.njit(cache=True, parallel=True, error_model="numpy")(_gather_sort)
_gather_sort_ser = numba.njit(cache=True, error_model="numpy")(_serial_copy(_gather_sort))
_level_par = numba.njit(cache=True, parallel=True, error_model="numpy")(_level)
_level_ser = numba.njit(cache=True, error_model="numpy")(_serial_copy(_level))
_PARALLEL_WORK = 1_000_000  # list entries x features below which a level runs serially


@numba.njit(cache=True, error_model="numpy")
def _draw_mask_jit(seed, node_ids, k, mask, n_chunks):
    """``mask[f, a] = 1`` for the first ``k`` features of node ``a``'s random permutation."""
    d = mask.shape[0]
    n_nodes = node_ids.shape[0]
    for c in range(n_chunks):
        perm = np.arange(d)
        swaps = np.empty(k, dtype=np.int64)
        for a in range(c * n_nodes // n_chunks, (c + 1) * n_nodes // n_chunks):
            _draw_prefix(_node_state(seed, node_ids[a]), perm, swaps, k)
            for j in range(k):
                mask[perm[j], a] = 1
            _undo_prefix(perm, swaps, k)


@numba.njit(cache=True, error_model="numpy")
def _extend_draws_jit(
    seed,
    node_ids,
    k,
    todo,
    lst,
    onehot,
    code,
    y,
    wt,
    seg,
    tot,
    qtot,
    wtot,
    cnt,
    min_leaf,
    out_p,
    out_f,
    out_nl,
    out_thr,
):
    """Nodes whose ``k`` drawn features were all constant keep drawing (scikit-learn's rule)
    until a non-constant feature is visited or none is left; its best split is written out."""
    d = lst.shape[0]
    n_out = tot.shape[1]
    for j in range(todo.shape[0]):
        a = todo[j]
        perm = np.arange(d)
        swaps = np.empty(d, dtype=np.int64)
        sl = np.zeros(n_out, dtype=np.float64)
        state = _draw_prefix(_node_state(seed, node_ids[a]), perm, swaps, k)
        out_f[a] = -1
        out_p[a] = -np.inf
        for q in range(k, d):
            state, z = _splitmix64(state)
            t = q + np.int64(z % np.uint64(d - q))
            tmp = perm[q]
            perm[q] = perm[t]
            perm[t] = tmp
            f = perm[q]
            rowf = lst[f].view(np.float32)
            rowi = lst[f].view(np.int32)
            if onehot:
                bp, found, bnl, bthr, nc = _scan_onehot(
                    rowf, rowi, code, seg[a], seg[a + 1], tot[a], qtot[a], wtot[a], cnt[a],
                    min_leaf, sl, -np.inf,
                )  # fmt: skip
            else:
                bp, found, bnl, bthr, nc = _scan_general(
                    rowf, rowi, y, wt, seg[a], seg[a + 1], tot[a], wtot[a], cnt[a],
                    min_leaf, sl, -np.inf,
                )  # fmt: skip
            if found:
                out_p[a] = bp
                out_f[a] = f
                out_nl[a] = bnl
                out_thr[a] = bthr
            if nc:
                break


@numba.njit(cache=True, error_model="numpy")
def _merge_best_jit(best_p, best_f, best_nl, best_thr, out_p, out_f, out_nl, out_thr):
    """Per node, the workers' best: highest proxy, then lowest feature index."""
    n_chunks, n_nodes = best_p.shape
    for a in range(n_nodes):
        bp = -np.inf
        bf = -1
        bnl = 0
        bthr = 0.0
        for c in range(n_chunks):
            f = best_f[c, a]
            if f < 0:
                continue
            p = best_p[c, a]
            if bf < 0 or p > bp or (p == bp and f < bf):
                bp = p
                bf = f
                bnl = best_nl[c, a]
                bthr = best_thr[c, a]
        out_p[a] = bp
        out_f[a] = bf
        out_nl[a] = bnl
        out_thr[a] = bthr


@numba.njit(cache=True, error_model="numpy")
def _child_stats_jit(lst, seg, split_f, split_nl, y, wt, ctot, cw, csq):
    """Weighted target sums, weights and weighted square sums of both children of each split."""
    n_nodes = seg.shape[0] - 1
    n_out = y.shape[1]
    for a in range(n_nodes):
        f = split_f[a]
        if f < 0:
            continue
        row = lst[f]
        mid = seg[a] + split_nl[a]
        for ch in (2 * a, 2 * a + 1):
            for k in range(n_out):
                ctot[ch, k] = 0.0
            cw[ch] = 0.0
            csq[ch] = 0.0
        for i in range(seg[a], seg[a + 1]):
            s = np.int64(row[i] >> np.uint64(32))
            ch = 2 * a if i < mid else 2 * a + 1
            w = wt[s]
            sq = 0.0
            for k in range(n_out):
                wy = w * y[s, k]
                ctot[ch, k] += wy
                sq += wy * y[s, k]
            csq[ch] += sq
            cw[ch] += w


@numba.njit(cache=True, error_model="numpy")
def _impurity_jit(tot, w, sq, out):
    """scikit-learn's MSE node impurity, term by term in its order."""
    n_out = tot.shape[1]
    for a in range(tot.shape[0]):
        if w[a] <= 0.0:
            out[a] = 0.0
            continue
        imp = sq[a] / w[a]
        for k in range(n_out):
            imp -= (tot[a, k] / w[a]) ** 2.0
        out[a] = imp / n_out


@numba.njit(cache=True, error_model="numpy")
def _set_sides_jit(lst, seg, split_f, split_nl, keep_left, keep_right, side):
    """``side[s]``: 0 if sample ``s`` goes to a left child that is split further, 1 for such a
    right child, -1 if its child is a leaf (the sample leaves the lists)."""
    n_nodes = seg.shape[0] - 1
    for a in range(n_nodes):
        f = split_f[a]
        if f < 0 or not (keep_left[a] or keep_right[a]):
            continue
        row = lst[f]
        mid = seg[a] + split_nl[a]
        code_left = 0 if keep_left[a] else -1
        code_right = 1 if keep_right[a] else -1
        for i in range(seg[a], mid):
            side[row[i] >> np.uint64(32)] = code_left
        for i in range(mid, seg[a + 1]):
            side[row[i] >> np.uint64(32)] = code_right


@numba.njit(cache=True, error_model="numpy")
def _preorder_jit(left, right):
    """Position of each node in depth-first pre-order (node, left subtree, right subtree)."""
    n = left.shape[0]
    order = np.empty(n, dtype=np.int64)
    stack = np.empty(n + 1, dtype=np.int64)
    top = 0
    stack[0] = 0
    top = 1
    pos = 0
    while top > 0:
        top -= 1
        v = stack[top]
        order[v] = pos
        pos += 1
        if left[v] >= 0:
            stack[top] = right[v]
            stack[top + 1] = left[v]
            top += 2
    return order


# --------------------------------------------------------------------------- one tree
def grow_tree(
    X: np.ndarray,
    minimum: np.ndarray,
    scale: np.ndarray,
    y: np.ndarray,
    code: np.ndarray | None,
    weight: np.ndarray,
    lst: np.ndarray,
    *,
    max_depth: int,
    n_drawn: int,
    min_samples_leaf: int,
    min_impurity_decrease: float,
    seed: int,
    n_chunks: int,
) -> dict[str, np.ndarray]:
    """Grow one tree level by level; arrays numbered in depth-first pre-order (as scikit-learn).

    Parameters
    ----------
    X : ndarray of float32 or float64, shape (n_samples, n_features), any memory order
        The raw features; the tree sees ``float32((X - minimum) / scale)`` computed in float64,
        exactly as ``minmax_normalise`` computes it, without materialising that array.
    minimum, scale : ndarray of float64, shape (n_features,)
    y : ndarray of float64, shape (n_samples, n_outputs), C order
        The target.
    code : ndarray of int32, shape (n_samples,) or None
        For a one-hot target: ``class * 256 + weight`` (weights must be integers in [0, 255]);
        None selects the general real-target path.
    weight : ndarray of float64, shape (n_samples,)
        Sample weights (bootstrap counts); samples of weight 0 are out of the tree.
    lst : ndarray of uint64, shape (n_features, >= n_in_bag), C order
        Work space for the per-feature sorted lists, overwritten.
    max_depth : int
        Nodes at this depth are leaves.
    n_drawn : int
        Features drawn per node (``n_features`` for all, without random draws).
    min_samples_leaf : int
        Minimum number of (distinct) samples in each child.
    min_impurity_decrease : float
        A split must decrease the weighted impurity by at least this much.
    seed : int
        The tree's seed for per-node feature draws, ``0 <= seed < 2**63``.
    n_chunks : int
        Number of feature ranges scanned in parallel (the result does not depend on it).

    Returns
    -------
    dict
        ``left``, ``right`` (local child indices, -1 at leaves), ``feature`` (-1 at leaves),
        ``threshold`` (NaN at leaves), ``mean`` (n_nodes, n_outputs) and ``n_node_samples``
        (distinct in-bag samples), numbered depth-first.
    """
    n_samples, n_features = X.shape
    n_out = y.shape[1]
    onehot = code is not None
    code_arr = code if onehot else np.zeros(1, dtype=np.int32)
    inbag = np.flatnonzero(weight > 0).astype(np.int32)
    m = inbag.shape[0]
    parallel = n_chunks > 1
    gather = _gather_sort_par if parallel and m * n_features >= _PARALLEL_WORK else _gather_sort_ser
    gather(X, minimum, scale, inbag, lst, gather_block(m, n_features, n_chunks))

    min_split = max(2, 2 * min_samples_leaf)
    w_all = float(weight.sum())
    root_tot = (weight[:, None] * y).sum(axis=0, keepdims=True)
    root_w = np.array([w_all])
    root_sq = np.array([float(np.sum(weight[:, None] * y * y))])
    root_imp = np.empty(1)
    _impurity_jit(root_tot, root_w, root_sq, root_imp)

    # breadth-first node records, one block per level
    parents: list[np.ndarray] = []  # split node ids
    feats: list[np.ndarray] = []
    thrs: list[np.ndarray] = []
    child_ids: list[np.ndarray] = []  # ids of the children created (left, right per split)
    child_means: list[np.ndarray] = []
    child_counts: list[np.ndarray] = []
    root_mean = root_tot / w_all

    # the active nodes (to be split) of the current level
    active = not (max_depth <= 0 or m < min_split or root_imp[0] <= EPSILON)
    ids = np.zeros(1 if active else 0, dtype=np.int64)
    seg = np.array([0, m] if active else [0], dtype=np.int64)
    tot, w_act, imp = root_tot[: len(ids)], root_w[: len(ids)], root_imp[: len(ids)]
    cnt = np.array([m] * len(ids), dtype=np.int64)
    side = np.zeros(n_samples, dtype=np.int8)
    old_seg = np.zeros(1, dtype=np.int64)
    old_dst = np.zeros(1, dtype=np.int64)
    old_keep = np.zeros(1, dtype=np.int64)
    tmp_size = 1
    next_id = 1
    depth = 0
    use_mask = n_drawn < n_features
    empty_mask = np.zeros((1, 1), dtype=np.uint8)
    while ids.shape[0] > 0:
        n_act = ids.shape[0]
        qtot = np.einsum("ij,ij->i", tot, tot) if onehot else np.zeros(n_act)
        if use_mask:
            mask = np.zeros((n_features, n_act), dtype=np.uint8)
            _draw_mask_jit(np.uint64(seed), ids, n_drawn, mask, n_chunks)
        else:
            mask = empty_mask
        best_p = np.empty((n_chunks, n_act))
        best_f = np.empty((n_chunks, n_act), dtype=np.int64)
        best_nl = np.empty((n_chunks, n_act), dtype=np.int64)
        best_thr = np.empty((n_chunks, n_act))
        nonconst = np.empty((n_chunks, n_act), dtype=np.bool_)
        level = _level_par if parallel and seg[-1] * n_features >= _PARALLEL_WORK else _level_ser
        level(
            lst, onehot, code_arr, y, weight, side, old_seg, old_dst, old_keep, tmp_size,
            seg, np.ascontiguousarray(tot), qtot, w_act, cnt, use_mask, mask, min_samples_leaf,
            n_chunks, best_p, best_f, best_nl, best_thr, nonconst,
        )  # fmt: skip
        split_p = np.empty(n_act)
        split_f = np.empty(n_act, dtype=np.int64)
        split_nl = np.empty(n_act, dtype=np.int64)
        split_thr = np.empty(n_act)
        _merge_best_jit(best_p, best_f, best_nl, best_thr, split_p, split_f, split_nl, split_thr)
        if use_mask:
            todo = np.flatnonzero(~nonconst.any(axis=0)).astype(np.int64)
            if todo.shape[0] > 0:
                _extend_draws_jit(
                    np.uint64(seed), ids, n_drawn, todo, lst, onehot, code_arr, y, weight,
                    seg, np.ascontiguousarray(tot), qtot, w_act, cnt, min_samples_leaf,
                    split_p, split_f, split_nl, split_thr,
                )  # fmt: skip

        # children of the splits found, and scikit-learn's improvement test
        ctot = np.zeros((2 * n_act, n_out))
        cw = np.zeros(2 * n_act)
        csq = np.zeros(2 * n_act)
        _child_stats_jit(lst, seg, split_f, split_nl, y, weight, ctot, cw, csq)
        cimp = np.zeros(2 * n_act)
        _impurity_jit(ctot, cw, csq, cimp)
        wl, wr = cw[0::2], cw[1::2]
        with np.errstate(invalid="ignore", divide="ignore"):  # nodes without a split
            improvement = (w_act / w_all) * (
                imp - (wr / w_act * cimp[1::2]) - (wl / w_act * cimp[0::2])
            )
        is_split = (split_f >= 0) & ~(improvement + EPSILON < min_impurity_decrease)
        split_f[~is_split] = -1
        splitters = np.flatnonzero(is_split)
        n_split = splitters.shape[0]
        if n_split == 0:
            break
        kids = np.empty(2 * n_split, dtype=np.int64)
        kids[0::2] = 2 * splitters
        kids[1::2] = 2 * splitters + 1
        kid_cnt = np.empty(2 * n_split, dtype=np.int64)
        kid_cnt[0::2] = split_nl[splitters]
        kid_cnt[1::2] = (seg[1:] - seg[:-1])[splitters] - split_nl[splitters]
        new_ids = next_id + np.arange(2 * n_split, dtype=np.int64)
        next_id += 2 * n_split
        parents.append(ids[splitters])
        feats.append(split_f[splitters])
        thrs.append(split_thr[splitters])
        child_ids.append(new_ids)
        child_means.append(ctot[kids] / cw[kids, None])
        child_counts.append(kid_cnt)

        depth += 1
        keep = (depth < max_depth) & (kid_cnt >= min_split) & (cimp[kids] > EPSILON)
        keep_left = np.zeros(n_act, dtype=np.bool_)
        keep_right = np.zeros(n_act, dtype=np.bool_)
        keep_left[splitters] = keep[0::2]
        keep_right[splitters] = keep[1::2]
        if not keep.any():
            break
        _set_sides_jit(lst, seg, split_f, split_nl, keep_left, keep_right, side)
        kept_per_node = np.zeros(n_act, dtype=np.int64)
        np.add.at(kept_per_node, splitters, np.where(keep[0::2], kid_cnt[0::2], 0))
        np.add.at(kept_per_node, splitters, np.where(keep[1::2], kid_cnt[1::2], 0))
        old_seg = seg
        old_keep = kept_per_node
        old_dst = np.zeros(n_act, dtype=np.int64)
        np.cumsum(kept_per_node[:-1], out=old_dst[1:])
        tmp_size = int(max(1, (seg[1:] - seg[:-1]).max()))
        sel = kids[keep]
        ids = new_ids[keep]
        cnt = kid_cnt[keep]
        seg = np.zeros(ids.shape[0] + 1, dtype=np.int64)
        np.cumsum(cnt, out=seg[1:])
        tot, w_act, imp = ctot[sel], cw[sel], cimp[sel]

    # assemble breadth-first arrays, then renumber in pre-order
    n_nodes = next_id
    left = np.full(n_nodes, -1, dtype=np.int64)
    right = np.full(n_nodes, -1, dtype=np.int64)
    feature = np.full(n_nodes, -1, dtype=np.int64)
    threshold = np.full(n_nodes, np.nan)
    mean = np.empty((n_nodes, n_out))
    n_node_samples = np.empty(n_nodes, dtype=np.int64)
    mean[0] = root_mean[0]
    n_node_samples[0] = m
    for par, f, t, kid, mu, kc in zip(
        parents, feats, thrs, child_ids, child_means, child_counts, strict=True
    ):
        left[par] = kid[0::2]
        right[par] = kid[1::2]
        feature[par] = f
        threshold[par] = t
        mean[kid] = mu
        n_node_samples[kid] = kc
    order = _preorder_jit(left, right)
    inverse = np.empty(n_nodes, dtype=np.int64)
    inverse[order] = np.arange(n_nodes)
    internal = left >= 0
    new_left = np.where(internal, order[np.maximum(left, 0)], -1)
    new_right = np.where(internal, order[np.maximum(right, 0)], -1)
    return {
        "left": new_left[inverse],
        "right": new_right[inverse],
        "feature": feature[inverse],
        "threshold": threshold[inverse],
        "mean": mean[inverse],
        "n_node_samples": n_node_samples[inverse],
    }
