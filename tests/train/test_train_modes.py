"""``train_modes``: models trained side by side in processes of their own equal models trained one by one."""

import shutil

import pytest
import torch

from repro.errors import ReproError
from repro.train import loop

MODES = ("images", "frames")


def weights(cache):
    return {m: torch.load(cache / "checkpoints" / m / "checkpoint.pt", weights_only=False)["model"] for m in MODES}


@pytest.mark.slow
def test_modes_trained_side_by_side_equal_modes_trained_one_by_one(tiny_cfg, train_cache, tmp_path):
    caches = {}
    for procs in (1, 2):
        cache = caches[procs] = tmp_path / f"procs{procs}"
        shutil.copytree(train_cache, cache, ignore=shutil.ignore_patterns("checkpoints"))
        cfg = tiny_cfg.replace(cache_dir=str(cache), train_procs=procs, train_threads=1)
        results = loop.train_modes(cfg, MODES, tensorboard=False)
        assert list(results) == list(MODES) and all(r.steps_run == cfg.train.train_steps for r in results.values())
    one, two = weights(caches[1]), weights(caches[2])
    for m in MODES:
        assert one[m].keys() == two[m].keys()
        for k in one[m]:
            assert torch.equal(one[m][k], two[m][k]), (m, k)


def test_a_training_process_that_dies_is_a_clear_error_naming_the_fixes(tiny_cfg, monkeypatch, broken_pool):
    monkeypatch.setattr(loop, "ProcessPoolExecutor", broken_pool)
    with pytest.raises(ReproError, match="__name__ == '__main__'.*train_procs=1"):
        loop.train_modes(tiny_cfg.replace(train_procs=2), MODES)
