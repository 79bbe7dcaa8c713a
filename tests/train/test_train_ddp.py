"""DistributedDataParallel with 2 CPU processes (gloo) under torchrun: gradients are averaged, keys are
gathered into one queue in rank order, shuffled BN unshuffles the keys, and the training loop runs."""

import json
import os
import subprocess
import sys
import textwrap

import pytest

from repro.paths import REPO_ROOT

SCRIPT = textwrap.dedent("""
    import json, sys
    import torch, torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel
    from repro.config import Config
    from repro.train.data import StepSampler, build_dataset, build_loader
    from repro.train.loop import build_model, moco_step, train
    from repro.moco.augment import color_augment

    cfg = Config.smoke().replace(**json.loads(sys.argv[1]))
    dist.init_process_group("gloo")
    rank, world = dist.get_rank(), dist.get_world_size()
    cpu = torch.device("cpu")

    def same_on_all_ranks(t):
        out = [torch.empty_like(t) for _ in range(world)]
        dist.all_gather(out, t.contiguous())
        return all(torch.equal(out[0], o) for o in out)

    torch.manual_seed(0)
    model = build_model(cfg, "frames+tracks")
    net = DistributedDataParallel(model)
    opt = torch.optim.SGD(model.encoder_q.parameters(), lr=0.05, momentum=0.9)
    ds = build_dataset(cfg, "frames+tracks")
    B = cfg.train.batch_size
    loader = build_loader(ds, StepSampler(len(ds), B, 0, 2, 0, rank, world))
    outs = []
    def rec(*a, **kw):
        outs.append(net(*a, **kw))
        return outs[-1]
    batches = list(loader)
    for step, b in enumerate(batches):
        moco_step(rec, model, opt, b, cpu, step)
    flat = lambda ps: torch.cat([p.detach().flatten() for p in ps])
    assert same_on_all_ranks(flat(model.encoder_q.parameters())), "query encoders differ"
    assert same_on_all_ranks(flat(model.encoder_k.parameters())), "key encoders differ"
    assert same_on_all_ranks(model.queue), "queues differ"
    # 2 steps x 2 enqueues x global batch B: the queue (K = 4B) holds every process's keys, in rank order
    n = B // world
    assert int(model.queue_ptr) == 4 * B % cfg.train.queue_size
    for e, k in enumerate(sum(([o["k"], o["k_patch"]] for o in outs), [])):
        assert torch.equal(model.queue[:, e * B + rank * n: e * B + (rank + 1) * n], k.T), e
    # shuffled BN: with BN statistics frozen (eval, the same running statistics in every process: each
    # process's key encoder updated its own), shuffling must not change any key
    model.encoder_k.eval()
    for buf in model.encoder_k.buffers():
        dist.broadcast(buf, 0)
    x = color_augment(batches[0]["view_k"], batches[0]["color_k"])
    k_shuffled = model.get_loss_and_keys(x, x)[2]
    model.shuffle_bn = False
    k_plain = model.get_loss_and_keys(x, x)[2]
    assert torch.allclose(k_shuffled, k_plain, atol=1e-5), "unshuffle does not restore the order"
    model.shuffle_bn = True
    dist.barrier()
    # the training loop itself, on the same process group
    r = train(cfg, "frames+tracks", sys.argv[2], tensorboard=False)
    dist.barrier()
    if rank == 0:
        print("DDP-OK", r.steps_run, r.total_steps)
    dist.destroy_process_group()
""")


@pytest.mark.slow
def test_two_cpu_processes_with_gloo(tiny_cfg, tmp_path):
    import torch

    cfg = tiny_cfg.replace(train_steps=2, checkpoint_every=2)
    script = tmp_path / "ddp_check.py"
    script.write_text(SCRIPT)
    overrides = {k: (list(v) if isinstance(v, tuple) else v) for k, v in cfg.flat().items()}
    env = {**os.environ, "REPRO_PROGRESS": "0", "PYTHONPATH": str(REPO_ROOT)}
    out = tmp_path / "run"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--standalone",
            "--nproc_per_node=2",
            str(script),
            json.dumps(overrides),
            str(out),
        ],
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
    assert "DDP-OK 2 2" in proc.stdout
    ck = torch.load(out / "checkpoint.pt", weights_only=False)
    assert ck["world_size"] == 2 and ck["step"] == 2
    assert int(ck["model"]["queue_ptr"]) == 2 * 2 * cfg.train.batch_size % cfg.train.queue_size
