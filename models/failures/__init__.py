"""Imitation-failure tools: OOD scores, ensembles, diagnostics, subsets, DAgger, takeover."""
