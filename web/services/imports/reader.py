"""Read a table file as a stream of (row number, {header: value}): CSV, Excel .xlsx, JSON Lines."""
import codecs
import csv
import json
import os

SAMPLE_BYTES = 256 * 1024


class TableError(Exception):
    """The file cannot be read as a table at all (exit status 2)."""


def _kind(path):
    """'csv', 'xlsx' or 'jsonl', by extension, else by content."""
    ext = os.path.splitext(path)[1].lower()
    if ext in (".csv", ".tsv", ".txt"):
        return "csv"
    if ext in (".xlsx", ".xlsm"):
        return "xlsx"
    if ext in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    with open(path, "rb") as handle:
        head = handle.read(4096)
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head.lstrip(codecs.BOM_UTF8).lstrip().startswith(b"{"):
        return "jsonl"
    return "csv"


def _encoding(sample):
    """UTF-8 (with or without BOM) when the sample decodes as such, else GB18030 (a superset of GBK)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        decoder.decode(sample, final=False)
        return "utf-8-sig"
    except UnicodeDecodeError:
        return "gb18030"


HEADER_SEARCH_ROWS = 10


def open_table(path, encoding=None, sheet=None, is_header=None):
    """(kind, encoding or None, headers, rows, close): rows yields (row number, list of cell values);
    call close() when done (also when rows were never read).

    Exports often start with a title line: the header is the first of the first ten non-empty rows
    that `is_header(cells)` accepts (default: the first non-empty row).
    """
    if not os.path.isfile(path):
        raise TableError(f"{path}: no such file")
    kind = _kind(path)
    try:
        if kind == "xlsx":
            return (kind, None, *_xlsx(path, sheet, is_header))
        if kind == "jsonl":
            return (kind, "utf-8-sig", *_jsonl(path))
        return _csv(path, encoding, is_header)
    except TableError:
        raise
    except (OSError, ValueError, KeyError, csv.Error, UnicodeDecodeError) as exc:
        raise TableError(f"{path}: cannot read as {kind}: {exc}") from None


def _find_header(numbered_rows, is_header):
    """Consume rows up to the header; return (header row number, header cells) or None."""
    first = None
    for seen, (number, cells) in enumerate(numbered_rows):
        if not any(c not in (None, "") and str(c).strip() for c in cells):
            continue
        first = first or (number, cells)
        if is_header is None or is_header(cells) or seen >= HEADER_SEARCH_ROWS:
            return (number, cells) if is_header is None or is_header(cells) else first
    return first


def _csv(path, encoding, is_header):
    with open(path, "rb") as handle:
        sample = handle.read(SAMPLE_BYTES)
    if b"\x00" in sample:
        raise TableError(f"{path}: binary data, not a CSV table")
    encoding = encoding or _encoding(sample)
    try:
        text = sample.decode(encoding, errors="ignore")
    except LookupError:
        raise TableError(f"unknown encoding {encoding!r}") from None
    try:
        delimiter = csv.Sniffer().sniff("\n".join(text.splitlines()[:20]), delimiters=",\t;").delimiter
    except csv.Error:
        delimiter = ","
    handle = open(path, encoding=encoding, newline="")  # noqa: SIM115 - outlives this call: rows() or the returned close() shuts it
    reader = csv.reader(handle, delimiter=delimiter)
    try:
        found = _find_header(((reader.line_num, cells) for cells in reader), is_header)
    except UnicodeDecodeError:
        handle.close()
        raise TableError(f"{path}: not {encoding} text; pass --encoding") from None
    if found is None:
        handle.close()
        raise TableError(f"{path}: empty file")
    headers = found[1]

    def rows():
        with handle:
            try:
                for values in reader:
                    if any(v.strip() for v in values):
                        yield reader.line_num, values
            except UnicodeDecodeError:
                raise TableError(f"{path}: line {reader.line_num + 1} is not {encoding} text; pass --encoding") from None

    return "csv", encoding, headers, rows(), handle.close


def _xlsx(path, sheet, is_header):
    from zipfile import BadZipFile

    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, BadZipFile, OSError) as exc:
        raise TableError(f"{path}: not an Excel .xlsx workbook ({exc})") from None
    if sheet is not None and sheet not in book.sheetnames:
        book.close()
        raise TableError(f"{path}: no sheet named {sheet!r} (sheets: {', '.join(book.sheetnames)})")
    worksheet = book[sheet] if sheet else book.worksheets[0]
    cells = enumerate(worksheet.iter_rows(values_only=True), start=1)
    found = _find_header(((n, ["" if v is None else str(v) for v in values]) for n, values in cells), is_header)
    if found is None:
        book.close()
        raise TableError(f"{path}: the sheet is empty")
    headers = found[1]

    def rows():
        for n, values in cells:
            if any(v not in (None, "") for v in values):
                yield n, list(values)

    return headers, rows(), book.close


def _jsonl(path):
    handle = open(path, encoding="utf-8-sig")  # noqa: SIM115 - outlives this call: objects() or the returned close() shuts it
    headers = []

    def objects():
        with handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as exc:
                    yield number, exc
                    continue
                yield number, obj

    stream = objects()
    first = next(stream, None)
    if first is None or not isinstance(first[1], dict):
        handle.close()
        raise TableError(f"{path}: empty file" if first is None else f"{path}: line {first[0]} is not a JSON object")
    headers = list(first[1])

    def rows():
        for number, obj in [first, *stream]:
            if isinstance(obj, Exception) or not isinstance(obj, dict):
                yield number, obj if isinstance(obj, Exception) else ValueError("not a JSON object")
                continue
            for key in obj:
                if key not in headers:
                    headers.append(key)  # later lines may add columns; mapped on the fly
            yield number, [obj.get(h) for h in headers]

    return headers, rows(), handle.close
