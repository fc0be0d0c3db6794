"""One run per folder: the lock, the output-folder check, and resumption that cannot be fooled.

Subprocesses run the real command line (``python -m sparsity_widgets.cli``) with one torch
thread, so that a run continued in this process after a killed one is bit-identical to an
uninterrupted run. Waiting on a subprocess is bounded polling with a deadline, never a bare
sleep.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from sparsity_widgets._io import OutputDirError, check_output_dir
from sparsity_widgets._run_lock import LOCK_FILE, RunFolderInUseError, hold_run_folder

torch = pytest.importorskip("torch")

from sparsity_widgets.cli import main  # noqa: E402
from sparsity_widgets.datasets import DatasetSplits, LabeledArrays  # noqa: E402
from sparsity_widgets.training import TrainConfig, list_checkpoints, train  # noqa: E402
from sparsity_widgets.training.checkpoints import read_checkpoint  # noqa: E402

RECORDS = ("epochs", "train_loss", "train_accuracy", "test_accuracy")  # `seconds` is wall time
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
DEADLINE_S = 120.0


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "sparsity_widgets.cli", *args]


def wait_for(condition, process: subprocess.Popen, what: str) -> None:
    """Poll ``condition()`` until it holds; fail if ``process`` ends first or at the deadline."""
    deadline = time.monotonic() + DEADLINE_S
    while not condition():
        if process.poll() is not None:
            _, err = process.communicate()
            pytest.fail(f"the run ended (status {process.returncode}) before {what}:\n{err}")
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"no {what} within {DEADLINE_S} s")
        time.sleep(0.005)


def one_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    return lines[0]


def _xor_split(n: int, seed: int) -> LabeledArrays:
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, size=(n, 2)).astype(np.float32)
    return LabeledArrays(X, (X[:, 0] * X[:, 1] > 0).astype(np.int64), ("neg", "pos"), "xor")


POINTS = DatasetSplits("xor", _xor_split(300, 0), _xor_split(100, 1))


def mlp_config(**changes) -> TrainConfig:
    options = dict(
        model="mlp",
        model_options={"hidden": [16, 16]},
        dataset="xor",
        epochs=3,
        batch_size=32,
        lr=1e-2,
        seed=0,
        device="cpu",
    )
    return TrainConfig(**{**options, **changes})


def assert_same_run(a, b) -> None:
    for name in RECORDS:
        assert getattr(a.history, name) == getattr(b.history, name), name
    sa, sb = a.model.state_dict(), b.model.state_dict()
    assert list(sa) == list(sb)
    for key in sa:
        assert torch.equal(sa[key], sb[key]), key


# --- the lock ---------------------------------------------------------------------------------


def hold_in_thread(folder: Path):
    """Hold the lock of ``folder`` in another thread (another owner, as another process is)."""
    taken, done = threading.Event(), threading.Event()

    def hold():
        with hold_run_folder(folder):
            taken.set()
            done.wait(DEADLINE_S)

    thread = threading.Thread(target=hold, daemon=True)
    thread.start()
    assert taken.wait(DEADLINE_S)
    return thread, done


def test_the_lock_is_reentrant_per_owner_and_excludes_others(tmp_path):
    run = tmp_path / "run"
    with hold_run_folder(run) as folder:
        assert folder == run and (run / LOCK_FILE).is_file()
        with hold_run_folder(run), hold_run_folder(run / "runs" / "seed_0"):
            pass  # the same owner again, and a folder under it: no deadlock
        failure: list[BaseException] = []

        def other_owner():
            try:
                with hold_run_folder(run):
                    pass
            except BaseException as exc:  # handed to the main thread
                failure.append(exc)

        thread = threading.Thread(target=other_owner)
        thread.start()
        thread.join(DEADLINE_S)
        assert len(failure) == 1 and isinstance(failure[0], RunFolderInUseError)
        assert str(failure[0]) == (
            f"{run} is in use by another run (lock file {run / LOCK_FILE} held); wait for it to "
            "finish or choose another out_dir"
        )
    # released: another owner gets it now
    thread, done = hold_in_thread(run)
    done.set()
    thread.join(DEADLINE_S)


def test_train_into_a_folder_another_run_holds_fails_at_once(tmp_path):
    thread, done = hold_in_thread(tmp_path)
    try:
        with pytest.raises(RunFolderInUseError, match=r"is in use by another run .*out_dir$"):
            train(mlp_config(), tmp_path, data=POINTS, progress=False)
        assert sorted(p.name for p in tmp_path.iterdir()) == [LOCK_FILE]
    finally:
        done.set()
        thread.join(DEADLINE_S)
    train(mlp_config(epochs=1), tmp_path, data=POINTS, progress=False)  # free again


def test_cli_train_into_a_busy_folder_exits_2_with_one_line(tmp_path, capsys):
    thread, done = hold_in_thread(tmp_path)
    try:
        status = main(["train", "--model", "mlp", "--dataset", "digits", "--out", str(tmp_path)])
    finally:
        done.set()
        thread.join(DEADLINE_S)
    assert status == 2
    line = one_line(capsys.readouterr().err)
    assert line == (
        f"sparsity-widgets train: error: {tmp_path} is in use by another run (lock file "
        f"{tmp_path / LOCK_FILE} held); wait for it to finish or choose another --out"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == [LOCK_FILE]


def test_two_train_processes_into_one_folder_the_second_fails_at_once(tmp_path):
    # Both start at once (as in the report: one with --lr 0.01); neither could finish 100000
    # epochs, so the one that takes the lock second must fail at once, and only then.
    run = tmp_path / "RUN"
    common = ["train", "--model", "mlp", "--dataset", "digits", "--device", "cpu"]
    runs = {
        lr: subprocess.Popen(
            cli(*common, "--lr", lr, "--epochs", "100000", "--out", str(run)),
            env=ENV,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for lr in ("0.001", "0.01")
    }
    try:
        deadline = time.monotonic() + DEADLINE_S
        while all(p.poll() is None for p in runs.values()):
            assert time.monotonic() < deadline, "neither run ended: the second one waits"
            time.sleep(0.005)
        (lost_lr, lost), (kept_lr, kept) = sorted(
            runs.items(), key=lambda item: item[1].poll() is None
        )
        assert lost.returncode == 2, lost.stderr.read()
        line = one_line(lost.stderr.read())
        assert kept.poll() is None  # the other run is still training
        # history.json is written after an epoch's checkpoint
        wait_for(lambda: (run / "history.json").is_file(), kept, "history.json")
    finally:
        for process in runs.values():
            process.kill()
            process.communicate(timeout=DEADLINE_S)
    assert re.fullmatch(
        r"sparsity-widgets train: error: .*RUN is in use by another run \(lock file "
        r".*RUN/\.sparsity-widgets\.lock held\); wait for it to finish or choose another --out",
        line,
    )
    # the folder holds the other run only
    assert json.loads((run / "config.json").read_text())["lr"] == float(kept_lr) != float(lost_lr)
    for path in list_checkpoints(run):
        assert read_checkpoint(path)["config"]["lr"] == float(kept_lr), path
    epochs = json.loads((run / "history.json").read_text())["epochs"]
    assert epochs == list(range(1, len(epochs) + 1))


def test_train_killed_mid_run_then_resumed_is_bit_identical(tmp_path):
    epochs = 12
    args = ["train", "--model", "mlp", "--dataset", "digits", "--batch-size", "16"]
    args += ["--epochs", str(epochs), "--device", "cpu", "--json"]
    run, reference = tmp_path / "run", tmp_path / "reference"
    victim = subprocess.Popen(
        cli(*args, "--out", str(run)),
        env=ENV,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    wait_for(lambda: bool(list_checkpoints(run)), victim, "first checkpoint")
    victim.send_signal(signal.SIGKILL)
    victim.communicate(timeout=DEADLINE_S)
    assert victim.returncode == -signal.SIGKILL
    saved = list_checkpoints(run)
    assert 1 <= len(saved) < epochs  # killed after epoch 1 and before the end
    # resume through the same command line, in this process (one torch thread, as there)
    assert main([*args, "--out", str(run)]) == 0
    assert main([*args, "--out", str(reference)]) == 0
    resumed, uninterrupted = list_checkpoints(run), list_checkpoints(reference)
    assert [p.name for p in resumed] == [p.name for p in uninterrupted]
    a, b = read_checkpoint(resumed[-1]), read_checkpoint(uninterrupted[-1])
    assert a["epoch"] == epochs
    for key in a["model_state"]:
        assert torch.equal(a["model_state"][key], b["model_state"][key]), key
    for name in RECORDS:
        assert a["history"][name] == b["history"][name], name
    history = json.loads((run / "history.json").read_text())
    assert {k: history[k] for k in RECORDS} == {k: b["history"][k] for k in RECORDS}
    # whatever the kill left half-written was removed
    assert sorted(p.name for p in (run / "checkpoints").iterdir()) == [p.name for p in resumed]


# --- resumption: every checkpoint is checked, damaged ones are skipped ------------------------


def test_a_checkpoint_of_another_configuration_is_refused(tmp_path):
    train(mlp_config(epochs=2), tmp_path, data=POINTS, progress=False)
    # what two runs writing one folder at once left behind: config.json of the second run
    (tmp_path / "config.json").write_text(json.dumps(mlp_config(epochs=2, lr=0.1).to_dict()))
    with pytest.raises(
        ValueError,
        match=r"the checkpoint '.*epoch_0001\.pt' was written by a run with a different "
        r"configuration \(lr: saved 0\.01, now 0\.1\), although config\.json matches.*"
        r"resume=False \(--no-resume on the command line\)",
    ):
        train(mlp_config(epochs=3, lr=0.1), tmp_path, data=POINTS, progress=False)


def truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def test_a_truncated_latest_checkpoint_falls_back_to_the_previous_one(tmp_path):
    reference = train(mlp_config(), tmp_path / "reference", data=POINTS, progress=False)
    train(mlp_config(), tmp_path / "run", data=POINTS, progress=False)
    latest = tmp_path / "run" / "checkpoints" / "epoch_0003.pt"
    truncate(latest)
    with pytest.warns(
        UserWarning,
        match=rf"'{re.escape(str(latest))}' is not a readable checkpoint .*truncated.*"
        r"Resuming from epoch 2, the latest readable checkpoint \('.*epoch_0002\.pt'\)",
    ):
        resumed = train(mlp_config(), tmp_path / "run", data=POINTS, progress=False)
    assert_same_run(resumed, reference)
    assert read_checkpoint(latest)["epoch"] == 3  # rewritten whole


def test_no_readable_checkpoint_says_which_files_to_delete(tmp_path):
    run = train(mlp_config(epochs=2), tmp_path, data=POINTS, progress=False)
    for path in run.checkpoints:
        truncate(path)
    first, second = (re.escape(repr(str(p))) for p in run.checkpoints)
    with pytest.raises(
        ValueError,
        match=rf"holds no readable checkpoint to resume from: .*Delete {first}, {second} to "
        r"start this run over from epoch 1, or pass resume=False \(--no-resume",
    ):
        train(mlp_config(epochs=2), tmp_path, data=POINTS, progress=False)
    for path in run.checkpoints:
        path.unlink()
    again = train(mlp_config(epochs=2), tmp_path, data=POINTS, progress=False)
    assert again.history.epochs == [1, 2]


def test_temporary_files_of_a_killed_write_are_removed(tmp_path):
    train(mlp_config(epochs=1), tmp_path, data=POINTS, progress=False)
    orphans = [
        tmp_path / "checkpoints" / ".epoch_0002.pt.k1ll3d.pt",
        tmp_path / ".history.json.k1ll3d.json",
    ]
    for path in orphans:
        path.write_bytes(b"half")
    (tmp_path / "checkpoints" / ".notes").write_text("not ours")
    train(mlp_config(epochs=2), tmp_path, data=POINTS, progress=False)
    assert not any(path.exists() for path in orphans)
    assert (tmp_path / "checkpoints" / ".notes").is_file()


# --- the output folder ----------------------------------------------------------------------


def test_check_output_dir_creates_the_folder_and_leaves_nothing(tmp_path):
    out = tmp_path / "a" / "b"
    assert check_output_dir(out) == out
    assert out.is_dir() and list(out.iterdir()) == []


def test_check_output_dir_refuses_a_file_and_a_path_under_a_file(tmp_path):
    file = tmp_path / "file"
    file.write_text("x")
    with pytest.raises(OutputDirError, match=rf"^--out '{re.escape(str(file))}' is an existing "):
        check_output_dir(file, option="--out")
    with pytest.raises(
        OutputDirError,
        match=rf"^out_dir '{re.escape(str(file / 'run'))}' cannot be created: "
        rf"'{re.escape(str(file))}' is a file, not a folder",
    ):
        check_output_dir(file / "run")


def test_check_output_dir_refuses_a_read_only_folder(tmp_path, monkeypatch):
    # Tests run as root, which may write into a chmod 555 folder; so make the write test fail
    # the way it does for an ordinary user on a read-only folder.
    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    with pytest.raises(
        OutputDirError,
        match=rf"^--out '{re.escape(str(tmp_path))}' is not writable \(Permission denied\); "
        "choose a folder you can write to",
    ):
        check_output_dir(tmp_path, option="--out")
