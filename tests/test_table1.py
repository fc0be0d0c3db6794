"""Table 1 with the authors' settings: their generators, the CLI flags, the saved table.

The authors' generators are read from idobenshaul10/RFWFC,
``NonLinear_Synthetic_Tests/non_linear_synthetic_test.py``. The saved ``book/results/table1.json``
is what ch06 renders: it must load, match a recomputation and back the chapter's statements.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import numpy as np
import pytest

from sparsity_widgets._schema import SavedResultError
from sparsity_widgets.cli import main
from sparsity_widgets.datasets.synthetic import (
    AUTHORS_DATASETS,
    DEFAULT_N_SAMPLES,
    make_circles,
    make_circles_authors,
    make_gaussian_quantiles,
    make_gaussian_quantiles_authors,
    make_spiral_authors,
    make_synthetic,
)
from sparsity_widgets.studies.table1 import (
    PAPER_TABLE_1,
    TABLE1_BOOTSTRAPS,
    TABLE1_GENERATORS,
    TABLE1_RULES,
    TABLE1_SETS,
    Table1Result,
    run_table1,
    score_table1_seed,
)

ROOT = Path(__file__).resolve().parents[1]
SAVED = ROOT / "book" / "results" / "table1.json"
CHAPTER = ROOT / "book" / "ch06_synthetic_checks.md"


def score_json(capsys, *args):
    assert main([*args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


# ----------------------------------------------------------------------------- generators
@pytest.mark.parametrize("name", sorted(AUTHORS_DATASETS))
def test_authors_generators_shapes_labels_balance_seeds(name):
    X, y = make_synthetic(name, random_state=3, generator="authors")
    assert X.shape == (10_000, 2) and y.shape == (10_000,)
    assert X.dtype == np.float64 and y.dtype == np.int64
    np.testing.assert_array_equal(np.bincount(y), [5000, 5000])
    X2, y2 = make_synthetic(name, random_state=3, generator="authors")
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    assert not np.array_equal(X, make_synthetic(name, random_state=4, generator="authors")[0])
    # odd sizes: the classes differ by one point at most
    _, y_odd = make_synthetic(name, n_samples=501, random_state=0, generator="authors")
    assert sorted(np.bincount(y_odd)) == [250, 251]


def test_default_sizes_per_generator():
    assert DEFAULT_N_SAMPLES == {"ours": 4000, "authors": 10_000}
    assert make_synthetic("spiral", random_state=0)[0].shape == (4000, 2)  # ours unchanged
    assert make_synthetic("spiral", random_state=0, generator="authors")[0].shape == (10_000, 2)


def test_authors_spiral_is_two_mirrored_turns():
    X, y = make_spiral_authors(n_samples=4000, noise=0.0, random_state=0)
    one, zero = X[y == 1], X[y == 0]
    np.testing.assert_allclose(zero, -one)  # class 0 is the point reflection of class 1
    r = np.linalg.norm(one, axis=1)
    # r = 2 theta + pi with theta = 4 pi sqrt(u) in [0, 4 pi]: radii in [pi, 9 pi]
    assert r.min() >= np.pi and r.max() <= 9 * np.pi
    angle = np.arctan2(one[:, 1], one[:, 0])
    theta = (r - np.pi) / 2
    np.testing.assert_allclose(np.cos(angle - theta), 1.0, atol=1e-9)  # on the curve
    assert theta.max() > 3.9 * np.pi  # two full turns (max of 2000 draws of 4 pi sqrt(u))
    # unit noise per coordinate around the noise-free points
    noisy, _ = make_spiral_authors(n_samples=4000, noise=1.0, random_state=0)
    # sd of 8000 unit normals: 1 +- 0.008 (one standard error); measured 0.998 (seed 0)
    assert np.std(noisy - X) == pytest.approx(1.0, abs=0.03)


def test_authors_circles_are_well_separated_and_ours_overlap():
    X, y = make_circles_authors(random_state=0)
    r = np.linalg.norm(X, axis=1)
    # noise 0.01: the 0.2 gap is 20 sd wide; measured max |r - ring| 0.039 (seed 0)
    assert np.abs(r[y == 1] - 0.8).max() < 0.06 and np.abs(r[y == 0] - 1.0).max() < 0.06
    assert np.all((r > 0.9) == (y == 0))
    Xo, yo = make_circles(random_state=0)
    ro = np.linalg.norm(Xo, axis=1)
    # noise 0.05: a point crosses radius 0.9 when its radial noise passes 0.1 = 2 sd toward the
    # other ring, P = 2.3 %; binomial sd at n = 4000 is 0.24 %; measured 2.3 % (seed 0)
    assert 0.015 < np.mean((ro > 0.9) != (yo == 0)) < 0.031
    noiseless, y0 = make_circles_authors(n_samples=1000, noise=0.0, random_state=0)
    radii = np.linalg.norm(noiseless, axis=1)
    np.testing.assert_allclose(radii[y0 == 1], 0.8)
    np.testing.assert_allclose(radii[y0 == 0], 1.0)


def test_authors_gaussian_quantiles_are_ours_at_the_same_size():
    for seed in (0, 1):
        Xa, ya = make_gaussian_quantiles_authors(n_samples=3000, random_state=seed)
        Xo, yo = make_gaussian_quantiles(n_samples=3000, random_state=seed)
        np.testing.assert_array_equal(Xa, Xo)
        np.testing.assert_array_equal(ya, yo)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: make_synthetic("blocks", generator="authors"), "only the Table 1 sets"),
        (lambda: make_synthetic("spiral", generator="theirs"), "generator must be one of"),
        (lambda: make_synthetic("moons", generator="authors"), "name must be one of"),
        (lambda: make_spiral_authors(n_samples=1), "n_samples must be an integer >= 2"),
        (lambda: make_spiral_authors(noise=-1.0), r"noise must lie in \[0, inf\]"),
        (lambda: make_gaussian_quantiles_authors(noise=0.7), r"noise must lie in \[0, 0.5\]"),
    ],
)
def test_bad_generator_arguments(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# ----------------------------------------------------------------------------- the CLI
def test_synthetic_cli_records_generator_and_bootstrap(capsys):
    ours = score_json(capsys, "synthetic", "spiral", "--rule", "public-code")
    assert ours["generator"] == "ours" and ours["bootstrap"] is True
    assert ours["n_samples"] == 4000
    authors = score_json(
        capsys, "synthetic", "spiral", "--generator", "authors", "--rule", "public-code"
    )
    assert authors["generator"] == "authors" and authors["bootstrap"] is True
    assert authors["n_samples"] == 10_000  # the generator's default size
    off = score_json(
        capsys,
        "synthetic",
        "spiral",
        "--generator",
        "authors",
        "--rule",
        "public-code",
        "--no-bootstrap",
    )
    assert off["bootstrap"] is False and off["n_samples"] == 10_000
    # the flag reaches the forest: seed 0 gives 0.991 with the bootstrap, 1.007 without
    assert off["tau_star"] != authors["tau_star"]
    assert off["tau_star"] == score_table1_seed("spiral", "authors", False, 0)["public-code"]
    small = score_json(capsys, "synthetic", "circles", "--generator", "authors", "--n", "600")
    assert small["n_samples"] == 600


@pytest.mark.parametrize(
    "args, message",
    [
        (["synthetic", "blocks", "--generator", "authors"], "only the Table 1 sets"),
        (["synthetic", "spiral", "--generator", "theirs"], "invalid choice: 'theirs'"),
        (["synthetic-table", "--seeds", "0,0"], "distinct non-negative integers"),
        (["synthetic-table", "--seeds", "a"], "distinct non-negative integers"),
        (["synthetic-table", "--out", "table1.md"], "ending in .json"),
    ],
)
def test_cli_errors_are_one_line(capsys, args, message):
    try:
        status = main(args)
    except SystemExit as exc:  # argparse's errors exit from inside the parser
        status = exc.code
    assert status == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_synthetic_table_cli_writes_json_and_markdown(tmp_path, capsys):
    out = tmp_path / "sub" / "t1.json"
    start = time.perf_counter()
    result = score_json(capsys, "synthetic-table", "--seeds", "5", "--out", str(out))
    seconds = time.perf_counter() - start
    saved = Table1Result.from_json(out)
    assert saved.to_dict() == result
    assert saved.seeds == [5]
    assert out.with_suffix(".md").read_text() == saved.markdown() + "\n"
    # 12 fits of 4000 or 10 000 points; measured about 2 s on the shared 2-core machine
    assert seconds < 60


# ----------------------------------------------------------------------------- JSON round trip
@pytest.fixture(scope="module")
def one_seed(tmp_path_factory):
    path = tmp_path_factory.mktemp("table1") / "table1.json"
    result = run_table1((0,), out=path, progress=False)
    return path, result


def test_round_trip_and_grid(one_seed):
    path, result = one_seed
    again = Table1Result.from_json(path)
    assert again.to_dict() == result.to_dict()
    assert len(again.cells) == (
        len(TABLE1_SETS) * len(TABLE1_GENERATORS) * len(TABLE1_RULES) * len(TABLE1_BOOTSTRAPS)
    )
    for cell in again.cells:
        assert cell["paper"] == PAPER_TABLE_1[cell["dataset"]]
        assert cell["n_samples"] == DEFAULT_N_SAMPLES[cell["generator"]]
        assert cell["mean"] == cell["tau_star"][0] and cell["std"] == 0.0
    table = path.with_suffix(".md").read_text()
    assert table.count("\n| ") == 2 + 8  # header rule, paper row, 8 rows of settings
    assert "| paper, Table 1 | | | 0.98 | 0.93 | 0.99 | circles |" in table


def _damaged(one_seed, tmp_path, change):
    path, _ = one_seed
    data = json.loads(path.read_text())
    change(data)
    bad = tmp_path / "table1.json"
    bad.write_text(json.dumps(data))
    return bad


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda d: d.update(schema="other"), r"at schema: expected 'sparsity_widgets.table1/1'"),
        (lambda d: d["cells"][3].update(mean=0.5), r"at cells\[3\]\.mean: expected the mean"),
        (lambda d: d["cells"][0].pop("bootstrap"), r"cells\[0\]\.bootstrap: .* no such key"),
        (lambda d: d["cells"][1].update(tau_star=[1.0, 1.1]), r"cells\[1\]\.tau_star: expected 1"),
        (lambda d: d["cells"][2].update(rule="code"), r"cells\[2\]\.rule: expected one of"),
        (lambda d: d["cells"].pop(), r"at cells: expected all 24 cells .* 1 missing"),
        (lambda d: d["cells"].append(d["cells"][0]), r"cells\[24\]: .* a second cell"),
        (lambda d: d["cells"][0].update(paper=0.5), r"cells\[0\]\.paper: expected Table 1's"),
        (lambda d: d.update(seeds=[]), r"at seeds: expected a non-empty list"),
        (lambda d: d.update(extra=1), r"unknown key\(s\) \['extra'\]"),
        (lambda d: d["cells"][5].update(n_samples=7), r"cells\[5\]\.n_samples: expected"),
    ],
)
def test_damaged_file_names_file_key_and_remedy(one_seed, tmp_path, change, message):
    bad = _damaged(one_seed, tmp_path, change)
    with pytest.raises(SavedResultError, match=message) as info:
        Table1Result.from_json(bad)
    assert str(bad) in str(info.value) and "sparsity-widgets synthetic-table" in str(info.value)


def test_truncated_file(one_seed, tmp_path):
    path, _ = one_seed
    bad = tmp_path / "table1.json"
    bad.write_text(path.read_text()[:200])
    with pytest.raises(SavedResultError, match="truncated or damaged"):
        Table1Result.from_json(bad)


def test_bad_seeds_and_paths(tmp_path, one_seed):
    with pytest.raises(ValueError, match="seeds must hold at least one seed"):
        run_table1(())
    with pytest.raises(ValueError, match="seeds must be distinct"):
        run_table1((1, 1))
    with pytest.raises(ValueError, match="seeds must be an integer >= 0"):
        run_table1((-1,))
    with pytest.raises(ValueError, match=r"path must end in \.json"):
        one_seed[1].save(tmp_path / "table1.md")


# ----------------------------------------------------------------------------- the saved table
@pytest.fixture(scope="module")
def saved():
    return Table1Result.from_json(SAVED)


def test_saved_table_matches_a_recomputation(saved):
    """Two cells recomputed (one per generator, 6 fits): the saved numbers are the code's."""
    assert saved.seeds == [0, 1, 2]
    for generator in TABLE1_GENERATORS:
        cell = saved.cell("circles", generator, "public-code", True)
        fresh = [score_table1_seed("circles", generator, True, s)["public-code"] for s in (0, 1, 2)]
        # the same computation on the same machine type; rounding in the thread order of the
        # numba kernels could move the last bits only
        np.testing.assert_allclose(cell["tau_star"], fresh, rtol=0, atol=1e-9)
    assert SAVED.with_suffix(".md").read_text() == saved.markdown() + "\n"


def test_chapter_renders_the_saved_table_and_its_claims_hold(saved):
    """ch06 reads results/table1.json; the statements its prose makes must hold in that file."""
    text = CHAPTER.read_text()
    assert 'Table1Result.from_json("results/table1.json")' in text
    assert "no evidence either way" not in text

    def mean(d, g, r, b):
        return saved.cell(d, g, r, b)["mean"]

    cells = [(d, g, b) for d in TABLE1_SETS for g in TABLE1_GENERATORS for b in TABLE1_BOOTSTRAPS]
    # "the paper's rule sits 0.3 to 0.4 above the public code's on every cell"
    rule_gap = [mean(d, g, "paper", b) - mean(d, g, "public-code", b) for d, g, b in cells]
    assert 0.3 <= min(rule_gap) and max(rule_gap) <= 0.4
    # "turning it off raised tau* on every cell, by up to about 0.04 under the public-code rule
    # and by at most about 0.015 under the paper's"
    for rule, most in (("public-code", 0.045), ("paper", 0.015)):
        rise = [
            mean(d, g, rule, False) - mean(d, g, rule, True)
            for d in TABLE1_SETS
            for g in TABLE1_GENERATORS
        ]
        assert min(rise) > 0 and max(rise) <= most
    # "with the authors' generators, the public-code rule and the bootstrap off, every set comes
    # within 0.06 of Table 1 and circles is lowest; with ours, circles is the highest in every row"
    for d in TABLE1_SETS:
        assert abs(mean(d, "authors", "public-code", False) - PAPER_TABLE_1[d]) < 0.06
    for r in TABLE1_RULES:
        for b in TABLE1_BOOTSTRAPS:
            assert saved.lowest("authors", r, b) == "circles"
            assert max(TABLE1_SETS, key=lambda d: mean(d, "ours", r, b)) == "circles"
    # the chapter names the command that made the file and the file it reads
    assert re.search(r"sparsity-widgets synthetic-table --seeds 0,1,2 --out book/results/", text)


README_HEADING = "## Table 1 of the paper, both generators"


def test_readme_section_is_the_saved_table(saved):
    """The README's Table 1 section shows the saved table and the distances it quotes."""
    readme = (ROOT / "README.md").read_text()
    if README_HEADING not in readme:
        pytest.skip("the README section on Table 1 is not merged yet")
    section = readme.split(README_HEADING, 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("|")]
    assert rows == saved.markdown_table().splitlines()
    for d in TABLE1_SETS:
        distance = abs(saved.cell(d, "authors", "public-code", False)["mean"] - PAPER_TABLE_1[d])
        assert f"{distance:.3f}" in section


# ----------------------------------------------------------------------------- the issue's check
def test_issue_check_authors_generators_public_code_no_bootstrap(capsys):
    """Issue 14's "done when": each set within 0.06 of Table 1 over seeds 0-2, circles lowest.

    Measured (seeds 0-2): spiral 1.015 (0.035 above 0.98), circles 0.877 (0.053 below 0.93),
    Gaussian quantiles 0.968 (0.022 below 0.99); seeds 0-9 give 1.016 / 0.873 / 0.970 with
    standard deviations 0.004 / 0.015 / 0.009. The 0.06 is the issue's, not fitted here. The
    nine commands take about 5 s in all on the shared 2-core machine.
    """
    means = {}
    for name in TABLE1_SETS:
        taus = []
        for seed in (0, 1, 2):
            result = score_json(
                capsys,
                "synthetic",
                name,
                "--generator",
                "authors",
                "--n",
                "10000",
                "--rule",
                "public-code",
                "--no-bootstrap",
                "--seed",
                str(seed),
            )
            assert result["generator"] == "authors" and result["bootstrap"] is False
            assert result["n_samples"] == 10_000
            taus.append(result["tau_star"])
        means[name] = float(np.mean(taus))
    for name, value in means.items():
        assert abs(value - PAPER_TABLE_1[name]) < 0.06, (name, value)
    assert min(means, key=means.get) == "circles", means
