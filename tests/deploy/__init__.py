"""Deployment artefacts: the Dockerfile and the k8s/ manifests, checked offline."""
