"""Synthetic data for tests and benchmarks.

* :mod:`~graftkg.synthetic.generate` - realistic transplants built from a scenario, with the true outcome;
* :mod:`~graftkg.synthetic.mutate` - one submission error injected per kind the shapes catch.
"""
