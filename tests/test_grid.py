"""The grid runner: cells and keys, backends, resuming, failures, threads and GPUs.

The backend matrix runs pure-numpy cells (sparsity_widgets.grid.examples) on sequential, loky
and Dask (LocalCluster in threads and in processes) and compares the cell files as text; one
tiny MNIST-1D study cell runs on every backend too. Calls are counted through a log file, since
workers are other processes. The Dask tests start and stop their cluster inside the test, on
the loopback interface without a dashboard, and check that no process or listening port of
this process is left behind.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sparsity_widgets._schema import SavedResultError
from sparsity_widgets.grid import (
    Cell,
    DaskMissingError,
    GridError,
    cell_path,
    check_backend,
    error_path,
    gpu_device,
    read_result,
    run_grid,
    thread_share,
)

HAS_DASK = importlib.util.find_spec("distributed") is not None
needs_dask = pytest.mark.skipif(
    not HAS_DASK,
    reason="dask.distributed is not installed: pip install 'sparsity_widgets[dask]' "
    "(CI must install it so that these tests run)",
)
EXAMPLES = "sparsity_widgets.grid.examples"


def noise_cells(n_cells: int = 6) -> list[Cell]:
    return [Cell(f"{EXAMPLES}:noise_sum", {"seed": s, "n": 1000}) for s in range(n_cells)]


def counted_cells(log: Path, seeds=range(4), **failing) -> list[Cell]:
    return [
        Cell(f"{EXAMPLES}:counted", {"seed": s, "n": 50, "log": str(log), **failing}) for s in seeds
    ]


def calls(log: Path) -> dict[int, int]:
    lines = log.read_text().split()
    return {int(s): lines.count(s) for s in sorted(set(lines), key=int)}


def cell_texts(out: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted((out / "cells").glob("*.json"))}


# --- cells and keys -------------------------------------------------------------------------


def test_the_key_hashes_the_canonical_json_of_function_and_parameters():
    a = Cell(f"{EXAMPLES}:noise_sum", {"seed": 1, "n": 3, "names": ("x", "y")})
    b = Cell(f"{EXAMPLES}:noise_sum", {"names": ["x", "y"], "n": 3, "seed": 1}, {"out": "o"})
    assert a.key == b.key and len(a.key) == 16
    assert a.parameters["names"] == ["x", "y"]  # the function gets what the file records
    assert Cell(f"{EXAMPLES}:noise_sum", {"seed": 2, "n": 3, "names": ["x", "y"]}).key != a.key
    assert Cell(f"{EXAMPLES}:trivial", {"seed": 1, "n": 3, "names": ["x", "y"]}).key != a.key
    from sparsity_widgets.grid.examples import noise_sum

    assert Cell(noise_sum, {"seed": 0, "n": 1}).function == f"{EXAMPLES}:noise_sum"


@pytest.mark.parametrize(
    ("function", "parameters", "context", "message"),
    [
        ("noise_sum", {}, {}, "function must be written 'package.module:name'"),
        (lambda: 0, {}, {}, "importable by module path and name"),
        (f"{EXAMPLES}:noise_sum", {"x": __import__("numpy").zeros(3)}, {}, r"parameters\['x'\]"),
        (f"{EXAMPLES}:noise_sum", {"x": float("nan")}, {}, "finite number"),
        (f"{EXAMPLES}:noise_sum", {1: 2}, {}, "string keys"),
        (f"{EXAMPLES}:noise_sum", {"x": "a" * 70000}, {}, "at most 65536 bytes"),
        (f"{EXAMPLES}:noise_sum", {"seed": 1}, {"seed": 2}, "context must not repeat"),
    ],
)
def test_a_bad_cell_is_refused_naming_what_is_wrong(function, parameters, context, message):
    with pytest.raises(ValueError, match=message):
        Cell(function, parameters, context)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"backend": "spark"},
            "backend must be one of 'sequential', 'loky', 'dask', 'joblib'; got 'spark'",
        ),
        ({"backend": "loky", "workers": 0}, "workers must be at least 1; got 0"),
        ({"backend": "loky", "threads": 0}, "threads must be at least 1; got 0"),
        ({"backend": "sequential", "workers": 2}, "workers applies to the loky and dask"),
        ({"backend": "loky", "scheduler": "tcp://127.0.0.1:8786"}, "needs backend='dask'"),
    ],
)
def test_a_bad_backend_choice_fails_before_any_cell_runs(tmp_path, kwargs, message):
    log = tmp_path / "calls.log"
    with pytest.raises(ValueError, match=message):
        run_grid(counted_cells(log), tmp_path, progress=False, **kwargs)
    assert not log.exists()


def test_dask_without_distributed_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed -> ImportError
    with pytest.raises(DaskMissingError, match=r"sparsity_widgets\[dask\]"):
        check_backend("dask", None, None)


def test_the_runner_works_without_torch(tmp_path):
    code = (
        "import sys; sys.modules['torch'] = None\n"
        "from sparsity_widgets.grid import Cell, run_grid\n"
        f"cells = [Cell('{EXAMPLES}:noise_sum', {{'seed': s, 'n': 5}}) for s in range(2)]\n"
        f"print(len(run_grid(cells, {str(tmp_path)!r}, progress=False)))\n"
        "assert 'dask' not in sys.modules and 'joblib' not in sys.modules\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "2"


# --- resuming and failures ------------------------------------------------------------------


def test_results_come_back_in_cell_order_and_equal_cells_run_once(tmp_path):
    log = tmp_path / "calls.log"
    cells = counted_cells(log, seeds=[3, 1, 2, 1])
    results = run_grid(cells, tmp_path, progress=False)
    assert [r["seed"] for r in results] == [3, 1, 2, 1]
    assert calls(log) == {1: 1, 2: 1, 3: 1}
    document = json.loads(cell_path(tmp_path, cells[0]).read_text())
    assert document["parameters"] == cells[0].parameters
    assert document["function"] == f"{EXAMPLES}:counted"
    assert run_grid(cells, tmp_path, progress=False) == results  # all read back
    assert calls(log) == {1: 1, 2: 1, 3: 1}


@pytest.mark.parametrize("backend", ["sequential", "loky"])
def test_failed_cells_are_reported_with_their_parameters_and_a_rerun_runs_only_them(
    tmp_path, backend
):
    log = tmp_path / "calls.log"
    cells = counted_cells(log, seeds=range(5), fail_first=[1, 3])
    workers = None if backend == "sequential" else 2
    with pytest.raises(GridError) as caught:
        run_grid(cells, tmp_path, backend=backend, workers=workers, progress=False)
    message = str(caught.value)
    assert message.startswith("2 of 5 grid cell(s) failed")
    for seed in (1, 3):  # every failed cell, with its parameters and its error file
        assert f"seed={seed}" in message
        assert f"RuntimeError: seed {seed} fails on its first call" in message
        saved = json.loads(error_path(tmp_path, cells[seed]).read_text())
        assert saved["parameters"] == cells[seed].parameters
        assert saved["error"].startswith("RuntimeError: seed")
        assert "Traceback" in saved["traceback"] and "counted" in saved["traceback"]
        assert str(error_path(tmp_path, cells[seed])) in message
    assert [s for s in range(5) if cell_path(tmp_path, cells[s]).exists()] == [0, 2, 4]
    assert [cell.parameters["seed"] for cell, _, _ in caught.value.failed] == [1, 3]
    assert calls(log) == dict.fromkeys(range(5), 1)

    results = run_grid(cells, tmp_path, backend=backend, workers=workers, progress=False)
    assert calls(log) == {0: 1, 1: 2, 2: 1, 3: 2, 4: 1}  # only the missing cells ran again
    assert [r["seed"] for r in results] == list(range(5))
    assert not any(error_path(tmp_path, c).exists() for c in cells)  # removed on success


def test_a_grid_interrupted_midway_reruns_only_the_missing_cells(tmp_path):
    log = tmp_path / "calls.log"
    cells = counted_cells(log, seeds=range(4), interrupt_first=[2])
    with pytest.raises(KeyboardInterrupt):
        run_grid(cells, tmp_path, progress=False)
    assert calls(log) == {0: 1, 1: 1, 2: 1}
    run_grid(cells, tmp_path, progress=False)
    assert calls(log) == {0: 1, 1: 1, 2: 2, 3: 1}


def test_a_damaged_cell_file_names_the_file(tmp_path):
    cells = noise_cells(1)
    run_grid(cells, tmp_path, progress=False)
    path = cell_path(tmp_path, cells[0])
    path.write_text(path.read_text()[:40])
    with pytest.raises(SavedResultError, match=f"{path}.*truncated or damaged"):
        read_result(tmp_path, cells[0])
    other = Cell(f"{EXAMPLES}:noise_sum", {"seed": 9, "n": 1000})
    path.write_text(json.dumps({**json.loads(cell_path_text(tmp_path, other)), "key": "x"}))
    with pytest.raises(SavedResultError, match="at key: expected"):
        read_result(tmp_path, cells[0])


def cell_path_text(out: Path, cell: Cell) -> str:
    run_grid([cell], out, progress=False)
    return cell_path(out, cell).read_text()


# --- threads and GPUs -----------------------------------------------------------------------


def test_each_worker_gets_its_share_of_the_cores():
    assert [thread_share(16, w) for w in (1, 2, 3, 4, 16, 32)] == [16, 8, 5, 4, 1, 1]
    assert thread_share(2, 2) == 1


def test_loky_workers_run_numba_with_their_share(tmp_path):
    cells = [Cell(f"{EXAMPLES}:threads_seen", {"seed": s}) for s in range(2)]
    seen = run_grid(cells, tmp_path, backend="loky", workers=2, threads=1, progress=False)
    assert {(s["omp"], s["numba"]) for s in seen} == {("1", 1)}


def test_several_gpus_take_cells_in_turn():
    assert [gpu_device(i, 3) for i in range(7)] == [f"cuda:{i % 3}" for i in range(7)]
    with pytest.raises(ValueError, match="n_gpus must be at least 1"):
        gpu_device(0, 0)


def test_the_grid_passes_each_cell_its_gpu(tmp_path):
    cells = [Cell(f"{EXAMPLES}:device_seen", {"seed": s}) for s in range(5)]
    seen = run_grid(cells, tmp_path, gpus=2, progress=False)  # no GPU is touched
    assert [s["device"] for s in seen] == ["cuda:0", "cuda:1", "cuda:0", "cuda:1", "cuda:0"]
    assert cells[0].key == Cell(f"{EXAMPLES}:device_seen", {"seed": 0}, {"device": "x"}).key
    with pytest.raises(ValueError, match="gpus must be a non-negative integer"):
        run_grid(cells, tmp_path, gpus=-1, progress=False)


def test_a_cell_takes_its_gpu_by_index_and_trains_on_cuda():
    torch = pytest.importorskip("torch")
    from sparsity_widgets.grid import select_gpu

    assert [select_gpu(d) for d in ("cpu", "auto", "cuda")] == ["cpu", "auto", "cuda"]
    count = torch.cuda.device_count() if torch.cuda.is_available() else 0
    with pytest.raises(ValueError, match=f"needs GPU {count}; this machine has {count} GPU"):
        select_gpu(f"cuda:{count}")


# --- the same results on every backend ------------------------------------------------------


def _listening_ports(process) -> set:
    connections = getattr(process, "net_connections", process.connections)(kind="inet")
    return {c.laddr for c in connections if c.status == "LISTEN"}


def _process_helper(process) -> bool:
    """multiprocessing's resource tracker: one per parent process, started by its first child
    process (of Dask's nanny here) and kept until the parent exits, like loky's own."""
    return "multiprocessing.resource_tracker" in " ".join(process.cmdline())


@contextlib.contextmanager
def leaves_nothing_behind(timeout: float = 20.0):
    """Fail unless every process this block started has ended and every port it opened is closed
    (psutil comes with distributed)."""
    import psutil

    me = psutil.Process()
    children = {p.pid for p in me.children(recursive=True)}
    ports = _listening_ports(me)
    yield
    deadline = time.monotonic() + timeout
    while True:
        new = [
            p
            for p in me.children(recursive=True)
            if p.pid not in children
            and p.status() != psutil.STATUS_ZOMBIE
            and not _process_helper(p)
        ]
        opened = _listening_ports(me) - ports
        if not new and not opened:
            return
        if time.monotonic() > deadline:
            names = [f"{p.pid} {' '.join(p.cmdline())}" for p in new]
            pytest.fail(f"left behind: processes {names}, listening ports {sorted(opened)}")
        time.sleep(0.2)


BACKENDS = [
    pytest.param({"backend": "loky", "workers": 2}, id="loky"),
    pytest.param(
        {"backend": "dask", "workers": 2, "processes": False}, id="dask-threads", marks=needs_dask
    ),
    pytest.param(
        {"backend": "dask", "workers": 2, "processes": True}, id="dask-processes", marks=needs_dask
    ),
]


@pytest.fixture(scope="module")
def sequential_reference(tmp_path_factory):
    out = tmp_path_factory.mktemp("sequential")
    return out, run_grid(noise_cells(), out, progress=False)


@pytest.mark.parametrize("options", BACKENDS)
def test_every_backend_writes_the_same_cell_files(tmp_path, options, sequential_reference):
    reference_out, reference = sequential_reference
    guard = leaves_nothing_behind() if options["backend"] == "dask" else contextlib.nullcontext()
    with guard:
        results = run_grid(noise_cells(), tmp_path, progress=False, **options)
    assert results == reference
    assert cell_texts(tmp_path) == cell_texts(reference_out)  # byte for byte
    assert len(cell_texts(tmp_path)) == 6


def test_any_joblib_backend_runs_the_grid_from_its_parallel_config(tmp_path, sequential_reference):
    from joblib import parallel_config

    reference_out, reference = sequential_reference
    with parallel_config(backend="threading"):  # as Ray's: parallel_config(backend="ray")
        results = run_grid(noise_cells(), tmp_path, backend="joblib", workers=2, progress=False)
    assert results == reference
    assert cell_texts(tmp_path) == cell_texts(reference_out)


@needs_dask
@pytest.mark.parametrize("processes", [True, False])
def test_dask_listens_on_loopback_only_without_a_dashboard(tmp_path, processes):
    import psutil

    from sparsity_widgets.grid import open_backend

    with leaves_nothing_behind(), open_backend("dask", workers=1, processes=processes) as backend:
        from distributed import get_client

        client = get_client()
        assert client.scheduler.address.startswith("tcp://127.0.0.1:")
        assert "distributed.dashboard.scheduler" not in sys.modules  # no dashboard
        listening = set()
        for p in [psutil.Process(), *psutil.Process().children(recursive=True)]:
            listening |= _listening_ports(p)
        assert {addr.ip for addr in listening} == {"127.0.0.1"}, listening
        assert 8787 not in {addr.port for addr in listening}  # not the dashboard's port
        replies = list(backend.map(noise_cells(2)))
        assert sorted(r["result"]["seed"] for r in replies) == [0, 1]


@needs_dask
def test_a_failed_cell_on_dask_is_reported_and_the_others_saved(tmp_path):
    log = tmp_path / "calls.log"
    cells = counted_cells(log, seeds=range(3), fail_first=[0])
    with leaves_nothing_behind(), pytest.raises(GridError, match="seed=0"):
        run_grid(cells, tmp_path, backend="dask", workers=2, processes=False, progress=False)
    assert [cell_path(tmp_path, c).exists() for c in cells] == [False, True, True]


# --- one real study cell --------------------------------------------------------------------


def _without_timings(value):
    """Study JSON without what differs between two runs of one cell: the seconds each step
    took and the checkpoint paths (under each run's own folder)."""
    if isinstance(value, dict):
        return {k: _without_timings(v) for k, v in value.items() if k not in ("seconds", "source")}
    if isinstance(value, list):
        return [_without_timings(v) for v in value]
    return value


@pytest.mark.slow
def test_a_tiny_mnist1d_study_gives_the_same_json_on_every_backend(tmp_path):
    pytest.importorskip("torch")
    pytest.importorskip("mnist1d")
    from sparsity_widgets.probe import ProbeSettings
    from sparsity_widgets.studies import StudySetting, Variant, run_variants

    torch = pytest.importorskip("torch")
    tiny = StudySetting(channels=2, hidden=4, epochs=1, epoch_checkpoints=(1,), seeds=(0,))
    # Each backend with its default thread share: 2 torch threads here, 1 in each of two loky
    # workers. Trained weights depend on torch's thread count (the sum of this model's weights
    # moved by 2e-7 between 1 and 2 threads), so the cells train with TRAIN_THREADS whatever
    # the share; without that, this test fails.
    options = {"sequential": {}, "loky": {"workers": 2}}
    if HAS_DASK:
        options["dask"] = {"workers": 2}
    texts = {}
    before = torch.get_num_threads()
    for backend, extra in options.items():
        out = tmp_path / backend
        torch.set_num_threads(2)
        try:
            run_variants(
                "tiny",
                [Variant("gelu", {"activation": "gelu"})],
                tiny,
                out_dir=out,
                probe_settings=ProbeSettings(n_trees=1, max_depth=4),
                progress=False,
                backend=backend,
                **extra,
            )
        finally:
            torch.set_num_threads(before)
        texts[backend] = json.loads((out / "tiny.json").read_text())
        assert len(list((out / "cells").glob("*.json"))) == 1
    reference = _without_timings(texts.pop("sequential"))
    assert reference["results"][0]["runs"][0]["layers"]
    for backend, data in texts.items():
        assert _without_timings(data) == reference, backend
    # alpha* hardly notices a 1e-7 change of the weights (the trees see only the order of the
    # features): compare the trained weights themselves, bit for bit
    weights = {}
    for backend in options:
        (checkpoint,) = (tmp_path / backend / "runs").glob("*/checkpoints/epoch_0001.pt")
        weights[backend] = torch.load(checkpoint, map_location="cpu")["model_state"]
    for backend in options:
        for name, tensor in weights["sequential"].items():
            assert torch.equal(weights[backend][name], tensor), (backend, name)


# loky restarts a worker whose memory grew by 300 MB since its first cell (its leak check): the
# one that ran an earlier test's numpy cells, then imports torch here. The cell is done first.
@pytest.mark.filterwarnings("ignore:A worker stopped while some jobs:UserWarning")
def test_the_fully_connected_frame_potential_study_is_equal_on_loky_and_resumes(
    tmp_path, monkeypatch
):
    pytest.importorskip("torch")
    from sparsity_widgets.frames import study

    tiny = study.StudySetting(depths=(2,), widths=(8, 12), max_iter=5, epochs=1)
    first = study.run_study(tiny, progress=False, out_dir=tmp_path / "seq")
    other = study.run_study(tiny, progress=False, backend="loky", workers=2)
    assert json.dumps(first["rows"]) == json.dumps(other["rows"])  # one torch thread each
    assert len(first["rows"]) == 6
    monkeypatch.setattr(
        "sparsity_widgets.frames.minimize.minimize_frame_potential",
        lambda *a, **k: pytest.fail("minimised again"),
    )
    again = study.run_study(tiny, progress=False, out_dir=tmp_path / "seq")
    assert again["rows"] == first["rows"]


@pytest.mark.slow
def test_the_tiny_conv_frame_potential_study_gives_the_same_rows_on_loky(tmp_path):
    pytest.importorskip("torch")
    from sparsity_widgets.frames import conv_study

    tiny = conv_study.ConvStudySetting(
        dataset="mnist1d",
        residual_grid=((1, 2),),
        dense_grid=((1, 2),),
        max_iter=3,
        epochs=1,
        n_train=200,
    )
    timing = ("fp_seconds", "train_seconds")
    rows = {}
    for backend, extra in {"sequential": {}, "loky": {"workers": 2}}.items():
        out = tmp_path / backend
        result = conv_study.run_conv_study(
            tiny, out_dir=out, progress=False, backend=backend, threads=1, **extra
        )
        assert result["complete"] and len(list((out / "cells").glob("*.json"))) == 3
        rows[backend] = [{k: v for k, v in r.items() if k not in timing} for r in result["rows"]]
    assert [r["arch"] for r in rows["loky"]] == ["chain", "residual", "dense"]
    assert rows["loky"] == rows["sequential"]


# --- the command line -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["study", "stride", "--backend", "loky", "--scheduler", "tcp://x:1"], "backend='dask'"),
        (["study", "stride", "--workers", "2"], "workers applies to the loky and dask"),
        (["study", "invariance", "--gpus", "1"], "does not apply to study 'invariance'"),
        (["study", "width-reduction", "--gpus", "2"], "does not apply to study 'width-reduction'"),
        (["probe", "--checkpoint", "x.pt", "--backend", "loky"], "apply to --model NAME"),
    ],
)
def test_grid_options_of_the_command_line_fail_in_one_line(tmp_path, capsys, args, message):
    from sparsity_widgets.cli import main

    pytest.importorskip("torch")
    assert main([*args, "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
