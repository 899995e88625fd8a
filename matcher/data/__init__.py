"""Data files shipped with the matcher (the gazetteer table)."""
