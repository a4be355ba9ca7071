"""Environments, controls, experts, play sessions and the HDF5 dataset (no Qt, no torch)."""
