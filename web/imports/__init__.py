"""Bulk import of existing volunteer databases (CSV, Excel, JSON Lines)."""
