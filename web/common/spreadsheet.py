"""CSV cells that a spreadsheet cannot run as formulas (OWASP CSV injection)."""

# OWASP: a cell starting with one of these may be read as a formula by Excel, LibreOffice or Sheets.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """Prefix ' to a string starting with = + - @ tab or CR (so "-3" too: OWASP's rule); other values unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_row(values):
    """The cells of a csv.writer row, each made safe: writer.writerow(safe_row(row))."""
    return [safe_cell(value) for value in values]


def safe_dict(row):
    """A csv.DictWriter row with each value made safe: writer.writerow(safe_dict(row))."""
    return {key: safe_cell(value) for key, value in row.items()}
