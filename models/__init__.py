"""Policies, behavioral cloning, checkpoints and evaluation (no Qt)."""
