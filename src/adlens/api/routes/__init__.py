"""Core API routes (health, jobs); application routes live in each application package."""
