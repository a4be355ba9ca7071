"""The reference point for training throughput: a bare PyTorch BC loop over in-memory tensors.

No normalisation, validation, progress records or checks: a random permutation per epoch,
index slicing, cross-entropy, Adam. The 2x256 leaky_relu MLP is the one CloneLab trains.
"""

from __future__ import annotations

import time

import numpy as np
import torch
from torch import nn

HIDDEN = 256


def bare_loop_seconds(
    observations: np.ndarray,
    actions: np.ndarray,
    *,
    n_actions: int,
    batch_size: int,
    epochs: int,
    lr: float = 1e-3,
    seed: int = 0,
) -> tuple[int, float]:
    """Train for ``epochs`` full epochs; return (samples trained on, wall seconds).

    The clock starts before the arrays become tensors, as a fair match for a trainer that is
    handed arrays; the last partial batch of each epoch is trained on too.
    """
    torch.manual_seed(seed)
    start = time.perf_counter()
    obs = torch.as_tensor(observations, dtype=torch.float32)
    acts = torch.as_tensor(actions, dtype=torch.int64)
    net = nn.Sequential(
        nn.Linear(obs.shape[1], HIDDEN),
        nn.LeakyReLU(),
        nn.Linear(HIDDEN, HIDDEN),
        nn.LeakyReLU(),
        nn.Linear(HIDDEN, n_actions),
    )
    optimizer = torch.optim.Adam(net.parameters(), lr=lr)
    loss_fn = nn.CrossEntropyLoss()
    rows = len(acts)
    for _ in range(epochs):
        order = torch.randperm(rows)
        for first in range(0, rows, batch_size):
            batch = order[first : first + batch_size]
            loss = loss_fn(net(obs[batch]), acts[batch])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
    return epochs * rows, time.perf_counter() - start
