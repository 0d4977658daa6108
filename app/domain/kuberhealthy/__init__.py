"""Kuberhealthy's formats, read and written (pure): check manifests, status JSON, metrics."""
