"""Alerting without I/O: rules, their evaluation as a state machine, silences, message rendering,
channel URL masking and delivery retry policy. The engine service feeds it inputs and stores what
it returns."""
