"""The pages' pure core: who may sign in, as what, and when they are locked out (no I/O)."""
