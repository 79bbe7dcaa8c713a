#!/usr/bin/env bash
# The GPU benchmarks of issue 12, for a session lent a device (about 8 minutes on one GPU):
#   * Algorithm 1 steps at ResNet-50, 224 px, batch 256, K = 65536 (two views: images and frames; with the
#     patch path: frames+tracks) against the official MoCo step (benchmarks/bench_train.py), each with and
#     without channels_last (REPRO_CHANNELS_LAST) and bf16 autocast (REPRO_AMP);
#   * the invariance measures of Section A on CUDA (200K samples x 2048 units, 100 classes).
# Appends a dated section to benchmarks/RESULTS.md. GPU_DRY=1 runs it all on the CPU at a tiny size, to
# check the script; it then records nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
if [[ -n "${GPU_DRY:-}" ]]; then
  dev=cpu; step=(--arch resnet18 --image-size 32 --batch 8 --queue 64 --repeats 2 --warmup 1); samples=2000; units=64
else
  dev=cuda; step=(--arch resnet50 --image-size 224 --batch 256 --queue 65536 --repeats 10 --warmup 3)
  samples=200000; units=2048
fi
out=$(mktemp)
{
  echo "## GPU: $($PY -c 'import torch; print(torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none (dry run on CPU)")'), $(date -u +%F) (\`benchmarks/gpu.sh\`)"
  for cl in 1 0; do
    for amp in 1 0; do
      echo
      echo "### channels_last $([[ $cl = 1 ]] && echo on || echo off), autocast $([[ $amp = 1 ]] && echo bf16 || echo off)"
      REPRO_CHANNELS_LAST=$cl REPRO_AMP=$amp $PY benchmarks/bench_train.py --device "$dev" "${step[@]}" --skip-loader
    done
  done
  echo
  echo "### Invariance measures on $dev ($samples samples x $units units, 100 classes, trajectories of 10)"
  echo
  $PY - "$dev" "$samples" "$units" <<'PYEOF'
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path("benchmarks").resolve()))
sys.path.insert(0, str(Path("tests/invariance").resolve()))
from bench_invariance import K, make_data  # noqa: E402

from repro.invariance import class_conditional_invariance, goodfellow_invariance, released_code_invariance  # noqa: E402

dev, samples, units = torch.device(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
acts, traj, labels = (t.to(dev) for t in make_data(samples, units, 100, 10))
cases = {
    "goodfellow_invariance": lambda: goodfellow_invariance(acts, traj).score,
    f"class_conditional_invariance(K={K})": lambda: class_conditional_invariance(acts, traj, labels, K).score,
    "released_code_invariance(10, 25)": lambda: released_code_invariance(acts, traj, labels),
}
print("| measure | best of 3 (s) |")
print("|---|---|")
for name, fn in cases.items():
    fn()
    best = float("inf")
    for _ in range(3):
        if dev.type == "cuda":
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        fn()
        if dev.type == "cuda":
            torch.cuda.synchronize()
        best = min(best, time.perf_counter() - t0)
    print(f"| {name} | {best:.3f} |")
PYEOF
} | tee "$out"
if [[ -z "${GPU_DRY:-}" ]]; then
  { echo; cat "$out"; } >> benchmarks/RESULTS.md
  echo "gpu.sh: appended to benchmarks/RESULTS.md"
fi
