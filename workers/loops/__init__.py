"""The loops a worker runs beside its jobs, one per module; each runs supervised
(`app.supervision`): a failure is logged and the loop restarts after a pause."""
