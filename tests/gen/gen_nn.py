"""Golden values for the deep-learning engine from PyTorch 1.13 (llm.c's method).

Two tiny networks, the same layer stacks cml builds from a spec:
  MLP  "fc:8,bn,relu,fc:5,tanh" + fc:3, train mode (BatchNorm1d on batch stats),
       cross-entropy with class weights and label smoothing 0.1
  CNN  "conv:4:3:1:1,bn,relu,maxpool:2,conv:6:3,relu,dropout:0.5" + fc:3 on 1x8x8
       images, eval mode (BatchNorm2d on running stats, dropout off), plain CE
For each: inputs, labels, every parameter (and BN buffer), the logits, the
loss and every parameter gradient; then 10-step loss trajectories on the same
batch: MLP with SGD (momentum 0.9, Nesterov, weight decay) and AdamW, CNN
with SGD in train mode (BN on batch stats, running stats updated; dropout
kept off so the masks need not match) and the CNN's running stats after it.

Run from the repo root: /usr/bin/python3 tests/gen/gen_nn.py
"""
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, "tests/gen")
from golden import Golden  # noqa: E402

torch.manual_seed(0)
torch.set_num_threads(1)


def put_params(g, prefix, names, model):
    for name, p in zip(names, model.parameters()):
        g.put(f"{prefix}.p.{name}", p.detach().numpy().ravel())


def put_grads(g, prefix, names, model):
    for name, p in zip(names, model.parameters()):
        g.put(f"{prefix}.g.{name}", p.grad.numpy().ravel())


def trajectory(model, opt, x, y, loss_fn, steps=10):
    out = []
    for _ in range(steps):
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        out.append(loss.item())
        loss.backward()
        opt.step()
    return out


g = Golden("tests/golden/nn_engine.txt", __doc__.splitlines()[0] + "\ntorch " + torch.__version__)

# ---------------------------------------------------------------- MLP
mlp_names = ["fc0.weight", "fc0.bias", "bn0.weight", "bn0.bias", "fc1.weight", "fc1.bias",
             "fc2.weight", "fc2.bias"]


def make_mlp():
    torch.manual_seed(1)
    m = nn.Sequential(nn.Linear(6, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 5), nn.Tanh(),
                      nn.Linear(5, 3))
    with torch.no_grad():  # non-trivial BN affine parameters
        m[1].weight.uniform_(0.5, 1.5)
        m[1].bias.uniform_(-0.5, 0.5)
    return m


x = torch.randn(10, 6)
y = torch.tensor([0, 1, 2, 1, 0, 2, 2, 1, 0, 1])
w = torch.tensor([0.5, 2.0, 1.0])
mlp = make_mlp().train()
ce = lambda z, t: F.cross_entropy(z, t, weight=w, label_smoothing=0.1)  # noqa: E731
g.put("mlp.x", x.numpy())
g.put("mlp.y", y.numpy())
g.put("mlp.class_weight", w.numpy())
put_params(g, "mlp", mlp_names, mlp)
z = mlp(x)
loss = ce(z, y)
loss.backward()
g.put("mlp.logits", z.detach().numpy())
g.put("mlp.loss", [loss.item()])
put_grads(g, "mlp", mlp_names, mlp)

mlp = make_mlp().train()
g.put("mlp.traj.sgd", trajectory(mlp, torch.optim.SGD(mlp.parameters(), lr=0.05, momentum=0.9,
                                                      nesterov=True, weight_decay=0.01), x, y, ce))
mlp = make_mlp().train()
g.put("mlp.traj.adamw", trajectory(mlp, torch.optim.AdamW(mlp.parameters(), lr=0.01,
                                                          weight_decay=0.1), x, y, ce))

# ---------------------------------------------------------------- CNN
cnn_names = ["conv0.weight", "conv0.bias", "bn0.weight", "bn0.bias", "conv1.weight", "conv1.bias",
             "fc0.weight", "fc0.bias"]


def make_cnn():
    torch.manual_seed(2)
    m = nn.Sequential(nn.Conv2d(1, 4, 3, 1, 1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
                      nn.Conv2d(4, 6, 3), nn.ReLU(), nn.Flatten(), nn.Dropout(0.5), nn.Linear(24, 3))
    with torch.no_grad():
        m[1].weight.uniform_(0.5, 1.5)
        m[1].bias.uniform_(-0.5, 0.5)
        m[1].running_mean.uniform_(-0.2, 0.2)
        m[1].running_var.uniform_(0.5, 1.5)
    return m


xi = torch.randn(4, 1, 8, 8)
yi = torch.tensor([2, 0, 1, 2])
cnn = make_cnn().eval()
g.put("cnn.x", xi.numpy().reshape(4, -1))
g.put("cnn.y", yi.numpy())
put_params(g, "cnn", cnn_names, cnn)
g.put("cnn.b.bn0.running_mean", cnn[1].running_mean.numpy())
g.put("cnn.b.bn0.running_var", cnn[1].running_var.numpy())
z = cnn(xi)
loss = F.cross_entropy(z, yi)
loss.backward()
g.put("cnn.logits", z.detach().numpy())
g.put("cnn.loss", [loss.item()])
put_grads(g, "cnn", cnn_names, cnn)

cnn = make_cnn().train()
cnn[7].eval()  # dropout off: masks are not comparable across libraries
g.put("cnn.traj.sgd", trajectory(cnn, torch.optim.SGD(cnn.parameters(), lr=0.05, momentum=0.9),
                                 xi, yi, F.cross_entropy))
g.put("cnn.traj.running_mean", cnn[1].running_mean.numpy())
g.put("cnn.traj.running_var", cnn[1].running_var.numpy())
g.close()
