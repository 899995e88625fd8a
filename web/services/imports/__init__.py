"""Bulk import of people from table files: reading, cleaning, header mapping, validation, batches."""
