import numpy as np
import pytest

from repro.io import atomic_path, save_json, save_npz


def test_atomic_write_appears_whole_or_not_at_all(tmp_path):
    target = tmp_path / "sub" / "a.txt"
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("killed")
    assert not target.exists() and list((tmp_path / "sub").iterdir()) == []
    with atomic_path(target) as tmp:
        tmp.write_text("whole")
    assert target.read_text() == "whole" and len(list(target.parent.iterdir())) == 1


def test_save_npz_and_json_round_trip(tmp_path):
    save_npz(tmp_path / "x.npz", a=np.arange(3))
    assert np.load(tmp_path / "x.npz")["a"].tolist() == [0, 1, 2]
    save_json({"b": 1}, tmp_path / "x.json")
    assert (tmp_path / "x.json").read_text().strip() == '{\n  "b": 1\n}'


def test_atomic_write_has_the_usual_permissions(tmp_path):
    import os

    with atomic_path(tmp_path / "p.txt") as tmp:
        tmp.write_text("x")
    mask = os.umask(0)
    os.umask(mask)
    assert (tmp_path / "p.txt").stat().st_mode & 0o777 == 0o666 & ~mask
