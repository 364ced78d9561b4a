#!/usr/bin/python3
"""Deep learning: cml (bench_nn, libcml in-process) vs PyTorch 1.13 CPU on Fashion-MNIST.

Same models, batch size, optimizer (Adam, lr 1e-3), epochs and thread count (torch.set_num_threads
and CML_NUM_THREADS both = BENCH_THREADS, default 2), same run, pixels / 255 then standardized:
  mlp      784-256-128-10, ReLU                               (cml: mlp_classifier)
  lenet5   conv6x5(pad 2)-ReLU-max2-conv16x5-ReLU-max2-120-84-10 (cml: cnn_classifier arch=lenet5)
  resnet8  conv16-BN-ReLU, 3 basic blocks (16, 32/2, 64/2), GAP, fc (cml: arch=resnet8)
Per model and implementation: seconds per training epoch, test accuracy after the epochs,
and inference throughput (images/s over the 10000 test images, batch 256 for PyTorch; cml's
predict batches 256 too). PyTorch runs in this process; its time is around the epoch loop only.

Prints one JSON row per (model, impl):
  {"bench":"nn","task":"mlp","data":"Fashion-MNIST 60000/10000","impl":"cml"|"pytorch 1.13",
   "metric":"accuracy","value":...,"epochs":...,"epoch_s":...,"images_per_s":...,"threads":2}
Usage: bench/bench_nn.py --build build [--models mlp,lenet5,resnet8] [--epochs 5]
       [--train N]  (N < 60000 trains on the first N rows: quick runs)
"""
import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import common  # noqa: E402  (sets the BLAS/thread environment before numpy/torch load)

import numpy as np  # noqa: E402

CML_PARAMS = {
    "mlp": ["mlp_classifier", "hidden_layer_sizes=256,128"],
    "lenet5": ["cnn_classifier", "arch=lenet5"],
    "resnet8": ["cnn_classifier", "arch=resnet8"],
}


INFER_REPS = 3  # inference is timed as the best of this many passes, on both sides


def torch_model(name):
    import torch.nn as nn
    if name == "mlp":
        return nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128),
                             nn.ReLU(), nn.Linear(128, 10))
    if name == "lenet5":
        return nn.Sequential(nn.Conv2d(1, 6, 5, 1, 2), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5),
                             nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(400, 120), nn.ReLU(),
                             nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))

    class Block(nn.Module):
        def __init__(self, cin, cout, stride):
            super().__init__()
            self.c1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
            self.b1 = nn.BatchNorm2d(cout)
            self.c2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
            self.b2 = nn.BatchNorm2d(cout)
            self.sc = None
            if stride != 1 or cin != cout:
                self.sc = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

        def forward(self, x):
            h = self.b2(self.c2(self.b1(self.c1(x)).relu()))
            return (h + (self.sc(x) if self.sc is not None else x)).relu()

    return nn.Sequential(nn.Conv2d(1, 16, 3, 1, 1), nn.BatchNorm2d(16), nn.ReLU(), Block(16, 16, 1),
                         Block(16, 32, 2), Block(32, 64, 2), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                         nn.Linear(64, 10))


def run_torch(name, X, y, Xt, yt, epochs, batch):
    import torch
    import torch.nn.functional as F
    torch.manual_seed(0)
    torch.set_num_threads(common.THREADS)
    shape = (-1, 784) if name == "mlp" else (-1, 1, 28, 28)
    mu, sd = (X.mean(0), X.std(0) + 1e-12) if name == "mlp" else (X.mean(), X.std())
    Xs = torch.tensor(((X - mu) / sd).astype(np.float32)).reshape(shape)
    Xts = torch.tensor(((Xt - mu) / sd).astype(np.float32)).reshape(shape)
    ys = torch.tensor(y.astype(np.int64))
    model = torch_model(name)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    g = torch.Generator().manual_seed(0)
    t0 = time.perf_counter()
    for _ in range(epochs):
        model.train()
        perm = torch.randperm(len(Xs), generator=g)
        for s in range(0, len(Xs), batch):
            idx = perm[s:s + batch]
            opt.zero_grad()
            loss = F.cross_entropy(model(Xs[idx]), ys[idx])
            loss.backward()
            opt.step()
    fit = time.perf_counter() - t0
    model.eval()
    inf = float("inf")
    for _ in range(INFER_REPS):  # best of: one pass of the test set takes 0.05-2 s
        t0 = time.perf_counter()
        with torch.no_grad():
            pred = torch.cat([model(Xts[s:s + 256]).argmax(1) for s in range(0, len(Xts), 256)])
        inf = min(inf, time.perf_counter() - t0)
    return fit / epochs, float((pred.numpy() == yt).mean()), len(Xt) / inf


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--build", required=True)
    p.add_argument("--cml", default=None)
    p.add_argument("--models", default="mlp,lenet5,resnet8")
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--train", type=int, default=60000)
    a = p.parse_args()
    import torch
    X, y = common.fashion_mnist("train", a.train)
    Xt, yt = common.fashion_mnist("t10k")
    data = f"Fashion-MNIST {len(X)}/{len(Xt)}"
    for name in a.models.split(","):
        cmd = [os.path.join(a.build, "bench", "bench_nn"), *CML_PARAMS[name], f"epochs={a.epochs}",
               f"batch_size={a.batch}", "optimizer=adam", "learning_rate=0.001"]
        env = dict(os.environ, CML_NUM_THREADS=str(common.THREADS), BENCH_NN_TRAIN=str(a.train))
        r = common.run(cmd, capture_output=True, text=True, env=env)
        if r.returncode != 0:
            sys.exit(f"bench_nn: {' '.join(cmd)} failed: {r.stderr.strip()}")
        c = json.loads(r.stdout)
        # fit_s = one training epoch, predict_s = classifying the test set, so the
        # report's fit/predict columns read as seconds per epoch and inference time
        note = (f"nn: fit = seconds per training epoch ({a.epochs} epochs, Adam 1e-3, batch "
                f"{a.batch}), predict = seconds to classify the {len(Xt)} test images; both "
                f"with {common.THREADS} threads")
        common.emit(bench="nn", task=name, data=data, impl="cml", metric="accuracy",
                    value=c["test_accuracy"], epochs=a.epochs, epoch_s=c["seconds_per_epoch"],
                    images_per_s=c["images_per_second"], blas=c["blas"],
                    fit_s=c["seconds_per_epoch"], predict_s=len(Xt) / c["images_per_second"],
                    note=note)
        ep, acc, ips = run_torch(name, X, y, Xt, yt, a.epochs, a.batch)
        common.emit(bench="nn", task=name, data=data, impl=f"pytorch {torch.__version__}",
                    metric="accuracy", value=acc, epochs=a.epochs, epoch_s=ep, images_per_s=ips,
                    fit_s=ep, predict_s=len(Xt) / ips)


if __name__ == "__main__":
    main()
