"""Repository tools run from the checkout (not installed): `python -m tools.k8s_validate`."""
