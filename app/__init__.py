"""Patrol: synthetic monitoring for Kubernetes fleets."""
