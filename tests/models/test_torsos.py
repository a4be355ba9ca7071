"""Torsos: the MLP's in-place activation computes what an out-of-place one does."""

from __future__ import annotations

import copy

import torch
from torch import nn

from clonelab.models.torsos import mlp


def test_the_in_place_activation_gives_the_same_values_and_gradients() -> None:
    torch.manual_seed(0)
    layers = mlp(4, (16, 8))
    assert all(module.inplace for module in layers if isinstance(module, nn.LeakyReLU))
    plain = copy.deepcopy(layers)
    for module in plain:
        if isinstance(module, nn.LeakyReLU):
            module.inplace = False
    # Negative, zero and positive pre-activations, the zeros through zero weights' rows.
    inputs = torch.randn(64, 4) * 3
    inputs[:8] = 0.0
    with torch.no_grad():
        for net in (layers, plain):
            net[0].bias[:4] = 0.0
    outputs = [net(inputs) for net in (layers, plain)]
    assert torch.equal(outputs[0], outputs[1])
    assert (outputs[0] < 0).any() and (outputs[0] > 0).any()
    for output in outputs:
        (output * torch.linspace(-1, 1, output.shape[1])).sum().backward()
    for (name, weight), twin in zip(layers.named_parameters(), plain.parameters(), strict=True):
        assert weight.grad is not None and twin.grad is not None
        assert torch.equal(weight.grad, twin.grad), name
    # The activation has no parameters: checkpoints keep their keys.
    assert list(layers.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
