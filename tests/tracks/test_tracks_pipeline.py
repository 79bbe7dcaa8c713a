"""The `repro tracks` job: file format, determinism, resume after an interruption, sharding, skipped frames,
the worker pool and the CLI."""

from __future__ import annotations

import json
import os
import re
import signal
import threading
import time

import numpy as np
import pytest

from repro.config import CommandLineParser
from repro.data import TrackingNet, list_chunks
from repro.errors import ConfigError, MissingArtifactError
from repro.tracks import load_tracks, pipeline, tracks_dir
from repro.tracks.cli import add_arguments, main
from repro.tracks.pipeline import chunk_tasks, run_tracks, shard_chunks
from repro.tracks.store import FORMAT_VERSION, chunk_file, track_key


def files(out):
    return sorted(p.relative_to(out).as_posix() for p in out.glob("*/*.npz"))


def test_writes_one_file_per_chunk_in_the_documented_format(small_cfg):
    run = run_tracks(small_cfg)
    out = tracks_dir(small_cfg)
    assert run.out_dir == out and out.parent.name == "tracks" and out.name == track_key(small_cfg)
    assert out.name.startswith("videos-resnet18-L6k2-")  # <data>-<arch>-L<len>k<gap>-<hash>
    assert files(out) == ["TRAIN_0/a__c0.npz", "TRAIN_0/a__c1.npz", "TRAIN_0/b__c0.npz", "TRAIN_0/b__c1.npz"]
    assert (run.chunks_written, run.chunks_existing, run.chunks_total) == (4, 0, 4)
    assert not list(out.rglob("*.tmp"))
    chunks = list_chunks(small_cfg)
    for c in chunks:
        t = load_tracks(chunk_file(out, c))
        M = len(t["log_scores"])
        assert t["pairs"].dtype == np.int64 and t["pairs"].shape == (10, 2)  # (6-2)(6-2+1)/2 pairs
        assert [tuple(p) for p in t["pairs"]] == c.pairs(2, "random")  # absolute frame indices
        assert t["pair_index"].shape == (M,) and t["boxes_i"].shape == t["boxes_j"].shape == (M, 4)
        assert t["boxes_i"].dtype == np.float32 and t["log_scores"].dtype == np.float64
        assert np.isfinite(t["log_scores"]).all() and M > 0
        for n, (i, j) in enumerate(t["pairs"]):
            sel = t["pair_index"] == n
            assert (np.diff(t["log_scores"][sel]) <= 0).all()  # best first
            ri, rj = t["regions_i"][sel], t["regions_j"][sel]
            assert len(set(ri)) == len(ri) and len(set(rj)) == len(rj)  # one-to-one
            fi, fj = list(t["frames"]).index(i), list(t["frames"]).index(j)
            off = t["proposal_offsets"]
            np.testing.assert_array_equal(t["boxes_i"][sel], t["proposals"][off[fi] : off[fi + 1]][ri])
            np.testing.assert_array_equal(t["boxes_j"][sel], t["proposals"][off[fj] : off[fj + 1]][rj])
        assert (t["boxes_i"][:, 2] <= 80).all() and (t["boxes_i"][:, 3] <= 64).all()  # frame pixels
        meta = t["meta"]
        assert meta["format"] == "repro-tracks" and meta["version"] == FORMAT_VERSION
        assert meta["model"]["arch"] == "resnet18" and meta["params"]["chunk_len"] == 6
        assert (meta["seq"], meta["chunk_index"], meta["start"]) == (c.seq, c.chunk_index, c.start)
    index = json.loads((out / "index.json").read_text())
    assert [e["file"] for e in index["chunks"]] == files(out) and index["key"] == out.name
    assert sum(e["num_tracks"] for e in index["chunks"]) == run.tracks_written


def test_same_config_gives_identical_tracks_and_other_parameters_another_key(small_cfg, tmp_path):
    run_tracks(small_cfg, out_dir=tmp_path / "one", limit=1)
    run_tracks(small_cfg, out_dir=tmp_path / "two", limit=1)
    for f in files(tmp_path / "one"):
        a, b = load_tracks(tmp_path / "one" / f), load_tracks(tmp_path / "two" / f)
        for k in a:
            if k != "meta":
                np.testing.assert_array_equal(a[k], b[k])
    assert track_key(small_cfg) != track_key(small_cfg.replace(track_quantile=0.8))
    assert track_key(small_cfg) != track_key(small_cfg.replace(max_proposals=29))
    assert track_key(small_cfg) == track_key(small_cfg.replace(track_workers=2))  # speed only: same tracks


def test_interrupted_run_resumes_and_skips_finished_chunks(small_cfg, monkeypatch):
    real = pipeline._write_chunk
    calls = []

    def dies_on_second(*args, **kw):
        calls.append(args[0])
        if len(calls) == 2:
            raise KeyboardInterrupt("killed")
        return real(*args, **kw)

    monkeypatch.setattr(pipeline, "_write_chunk", dies_on_second)
    with pytest.raises(KeyboardInterrupt):
        run_tracks(small_cfg)
    out = tracks_dir(small_cfg)
    assert files(out) == ["TRAIN_0/a__c0.npz"] and not list(out.rglob("*.tmp"))
    first = (out / "TRAIN_0/a__c0.npz").stat().st_mtime_ns
    monkeypatch.setattr(pipeline, "_write_chunk", real)
    run = run_tracks(small_cfg)
    assert (run.chunks_existing, run.chunks_written) == (1, 3)
    assert (out / "TRAIN_0/a__c0.npz").stat().st_mtime_ns == first
    assert len(files(out)) == 4
    again = run_tracks(small_cfg)
    assert (again.chunks_existing, again.chunks_written, again.frames_processed) == (4, 0, 0)


def test_shards_split_the_videos(small_cfg, monkeypatch, tmp_path):
    chunks = list_chunks(small_cfg)
    a, b = shard_chunks(chunks, 0, 2), shard_chunks(chunks, 1, 2)
    assert {c.seq for c in a} == {"a"} and {c.seq for c in b} == {"b"}
    with pytest.raises(ConfigError):
        shard_chunks(chunks, 2, 2)
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("RANK", "1")
    run = run_tracks(small_cfg, out_dir=tmp_path / "ranked")
    assert files(tmp_path / "ranked") == ["TRAIN_0/b__c0.npz", "TRAIN_0/b__c1.npz"] and run.chunks_total == 2
    run_tracks(small_cfg, shard_index=0, num_shards=2, out_dir=tmp_path / "ranked")
    assert len(files(tmp_path / "ranked")) == 4
    assert len(json.loads((tmp_path / "ranked" / "index.json").read_text())["chunks"]) == 4


def test_overlapping_chunks_share_a_task(small_cfg):
    chunks = list_chunks(small_cfg.replace(num_chunks=4))  # 14 and 12 frames: chunks overlap
    tasks = chunk_tasks(chunks)
    assert {k: [c.chunk_index for c in v] for k, v in tasks.items()} == {
        ("TRAIN_0", "a", 0): [0, 1, 2, 3],
        ("TRAIN_0", "b", 0): [0, 1, 2, 3],
    }
    apart = chunk_tasks(list_chunks(small_cfg))  # 2 chunks of 6 in 12/14 frames: disjoint
    assert list(apart) == [("TRAIN_0", "a", 0), ("TRAIN_0", "a", 1), ("TRAIN_0", "b", 0), ("TRAIN_0", "b", 1)]


def test_missing_and_corrupt_frames_are_skipped_not_fatal(small_cfg, tmp_path, make_video, write_video):
    root = tmp_path / "gappy"
    frames, boxes, vis = make_video(5, 8)
    write_video(root, "TRAIN_0", "g", frames, boxes, vis, missing=(2,), corrupt=(4,))
    cfg = small_cfg.replace(trackingnet_root=str(root), num_chunks=1, chunk_len=8)
    run = run_tracks(cfg, dataset=TrackingNet(root))
    assert run.chunks_written == 1 and len(run.skips) == 2
    assert "1 corrupt, 1 missing" in run.skips.summary()
    t = load_tracks(tracks_dir(cfg) / "TRAIN_0" / "g__c0.npz")
    assert t["meta"]["skipped_frames"] == [2, 4] and list(t["frames"]) == [0, 1, 3, 5, 6, 7]
    pairs = {tuple(p) for p in t["pairs"]}
    assert pairs == {(i, j) for i in (0, 1, 3, 5, 6, 7) for j in (0, 1, 3, 5, 6, 7) if j - i >= 2}


def same_tracks(a_dir, b_dir) -> None:
    assert files(a_dir) == files(b_dir) != []
    for f in files(a_dir):
        a, b = load_tracks(a_dir / f), load_tracks(b_dir / f)
        for k in ("proposals", "boxes_i", "boxes_j", "log_scores", "pairs"):
            np.testing.assert_array_equal(a[k], b[k])


@pytest.mark.slow
def test_a_local_dask_cluster_gives_the_same_tracks_and_counts_chunks(small_cfg, tmp_path, monkeypatch, capsys):
    run_tracks(small_cfg, out_dir=tmp_path / "serial", workers=0)
    monkeypatch.setenv("REPRO_PROGRESS", "1")
    before = dict(os.environ)
    run = run_tracks(small_cfg, out_dir=tmp_path / "cluster", workers=2)
    assert dict(os.environ) == before  # Dask's OMP_NUM_THREADS=1 must not leak into later kernels
    same_tracks(tmp_path / "serial", tmp_path / "cluster")
    assert run.chunks_written == len(files(tmp_path / "cluster")) == 4
    assert re.search(r"tracks \(chunks\): 100%\|.*\| 4/4", capsys.readouterr().err)


@pytest.mark.slow
def test_a_worker_killed_mid_run_loses_nothing(small_cfg, tmp_path, make_video, write_video):
    """Eight videos on a cluster of two workers; once the first chunk file exists one worker process is
    killed (SIGKILL). Dask reruns its task elsewhere and the files are those of a run in one process."""
    root = tmp_path / "many"
    for n in range(8):
        frames, boxes, visible = make_video(10 + n, 12)
        write_video(root, "TRAIN_0", f"v{n}", frames, boxes, visible)
    cfg = small_cfg.replace(trackingnet_root=str(root))
    run_tracks(cfg, out_dir=tmp_path / "serial", workers=0)
    out, seen_at_kill = tmp_path / "cluster", []
    with pipeline.dask_client(2) as client:  # the pipeline's own local cluster (it restores os.environ)

        def kill_a_worker() -> None:
            deadline = time.monotonic() + 300
            while not files(out) and time.monotonic() < deadline:
                time.sleep(0.02)
            seen_at_kill.append(len(files(out)))
            os.kill(next(iter(client.run(os.getpid).values())), signal.SIGKILL)

        killer = threading.Thread(target=kill_a_worker)
        killer.start()
        run_tracks(cfg, out_dir=out, scheduler=client.scheduler.address)
        killer.join()
    assert seen_at_kill and 0 < seen_at_kill[0] < 16, seen_at_kill  # killed mid-run
    same_tracks(tmp_path / "serial", out)


def test_cli(small_cfg, capsys, tmp_path):
    parser = CommandLineParser()
    add_arguments(parser)
    flat = small_cfg.flat()
    names = (
        "cache_dir",
        "trackingnet_root",
        "num_chunks",
        "chunk_len",
        "pair_gap",
        "proposal_short_side",
        "max_proposals",
        "min_box_side",
    )
    params = [f"-p{k}={flat[k]}" for k in names]
    papermill = [w for k in names for w in ("-p", k, str(flat[k]))]
    assert parser.parse_args(params).param == parser.parse_args(papermill).param == [[k, str(flat[k])] for k in names]
    assert main(parser.parse_args(params + ["--limit", "1"])) == 0
    out = capsys.readouterr().out
    assert "2 chunk(s) written" in out
    cfg = small_cfg.replace(proposal_short_side=0)
    assert len(files(tracks_dir(cfg))) == 2
    (tracks_dir(cfg) / "index.json").unlink()
    assert main(parser.parse_args(papermill + ["--reindex"])) == 0
    assert len(json.loads((tracks_dir(cfg) / "index.json").read_text())["chunks"]) == 2
    with pytest.raises(ConfigError, match="unknown parameter"):
        main(parser.parse_args(["-p", "chunk_lenght=3"]))
    with pytest.raises(SystemExit) as exc:
        parser.parse_args(["-p", "chunk_len"])
    assert exc.value.code == 2 and "expected NAME VALUE or NAME=VALUE" in capsys.readouterr().err
    with pytest.raises(ConfigError, match="both"):
        main(parser.parse_args(params + ["--shard-index", "0"]))


@pytest.mark.parametrize(
    "bad, message",
    [
        (dict(proposal_mode="slow"), "proposal_mode"),
        (dict(track_quantile=1.5), "track_quantile"),
        (dict(pair_mode="grid2"), "pair_mode"),
        (dict(max_proposals=0), "max_proposals"),
        (dict(feature_short_side=-1), "feature_short_side"),
    ],
)
def test_bad_parameters_fail_before_any_work(small_cfg, bad, message):
    with pytest.raises(ConfigError, match=message):
        run_tracks(small_cfg.replace(**bad))
    assert not tracks_dir(small_cfg.replace(**bad)).exists()


def test_load_tracks_of_a_missing_file_names_the_fix(tmp_path):
    with pytest.raises(MissingArtifactError, match="repro tracks"):
        load_tracks(tmp_path / "nothing.npz")
