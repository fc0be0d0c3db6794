"""Atomic result files."""

import os
import stat

from sparsity_widgets._io import atomic_write_text


def test_atomic_write_gives_ordinary_permissions(tmp_path):
    umask = os.umask(0o022)
    try:
        path = atomic_write_text(tmp_path / "out" / "result.json", "{}")
    finally:
        os.umask(umask)
    assert path.read_text() == "{}"
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert [p.name for p in path.parent.iterdir()] == ["result.json"]


def test_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    from sparsity_widgets._io import atomic_write

    path = atomic_write_text(tmp_path / "result.json", "old")

    def broken(tmp):
        with open(tmp, "w") as fh:
            fh.write("half")
        raise RuntimeError("disk full")

    try:
        atomic_write(path, broken)
    except RuntimeError:
        pass
    else:
        raise AssertionError("the error must propagate")
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["result.json"]
