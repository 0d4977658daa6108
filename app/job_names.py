"""Names under which the API enqueues jobs; workers register functions with these names."""

HOUSEKEEPING = "housekeeping"
