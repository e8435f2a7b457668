"""Ranking quality on test collections: loaders, metrics, baselines and the eval run."""
