"""Alerting use cases: the rule engine, its tick, people's actions on alerts, channels and delivery."""
