"""Read a table file as a stream of (row number, cell values): CSV, Excel .xlsx, JSON Lines.

Files come from outside (uploads included), so what one may make the reader hold or do is bounded
(`Limits`: the IMPORT_MAX_* settings). A file past a bound is refused in one line that names the file
(its own name, never the folder it sits in), before the work it would cost where that can be known.
"""
import codecs
import csv
import itertools
import json
import os
import re
import zipfile
from dataclasses import dataclass
from xml.etree import ElementTree

from ...common.text import msg

SAMPLE_BYTES = 256 * 1024
SNIFF_CHARS = 8 * 1024  # csv.Sniffer's regular expressions backtrack: 250 KB of '"a,"b' took 97 s
HEADER_SEARCH_ROWS = 10
EXCEL_LAST_ROW = 1_048_576
# The csv module's own bound on a field, as a multiple of IMPORT_MAX_CELL_CHARS: up to it a long cell is
# read and reported with its column; past it the csv module stops reading the field (the row is reported).
CSV_FIELD_FACTOR = 100
# openpyxl reads some parts of a workbook whole (the workbook, its styles and relationships): real ones
# are kilobytes. Sheets, which it streams, are held only to IMPORT_MAX_UNZIPPED_BYTES.
WHOLE_PART_BYTES = 16 * 1024 * 1024
CONTENT_TYPES = "{http://schemas.openxmlformats.org/package/2006/content-types}"
STRINGS_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"


@dataclass(frozen=True)
class Limits:
    """What one file may make an import read (the IMPORT_MAX_* settings; see README, "Bulk import")."""

    rows: int
    columns: int
    cell_chars: int
    shared_strings: int
    shared_strings_bytes: int
    unzipped_bytes: int


class TableError(Exception):
    """The file cannot be read as a table (exit status 2), at all or past some row.

    `summary` is what the import did before it stopped (None when it never started).
    """

    def __init__(self, message, summary=None):
        super().__init__(message)
        self.summary = summary


def clip(text, chars=200):
    """`text` cut to `chars` characters, an ellipsis saying so: reports and messages stay small."""
    text = str(text)
    return text if len(text) <= chars else text[:chars] + "…"


def listed(names, most=20, chars=40):
    """Names for a message: the first `most`, each clipped, then how many more there are."""
    names = list(names)
    more = [f"… and {len(names) - most:,} more"] if len(names) > most else []
    return [clip(n, chars) for n in names[:most]] + more


def _why(exc, path):
    """An exception as one short line, the server's folder left out (libraries quote the path they opened)."""
    text = str(exc) or type(exc).__name__
    for where in (os.path.abspath(path), str(path)):
        text = text.replace(where, os.path.basename(path))
    return clip(" ".join(text.split()), 300)


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


def open_table(path, *, limits, encoding=None, sheet=None, is_header=None):
    """(kind, encoding or None, headers, rows, close): rows yields (row number, list of cell values);
    call close() when done (also when rows were never read).

    A row that cannot be read is (row number, the exception). A file that cannot be read past some row
    (damaged there, or past IMPORT_MAX_ROWS) ends with one (row number, TableError), so the rows before
    it are still handled, in order.

    Exports often start with a title line: the header is the first of the first ten non-empty rows
    that `is_header(cells)` accepts (default: the first non-empty row).
    """
    name = os.path.basename(path)
    if not os.path.isfile(path):
        raise TableError(msg("{name}: no such file", name=name))
    kind = _kind(path)
    try:
        if kind == "xlsx":
            table = (kind, None, *_xlsx(path, name, sheet, is_header, limits))
        elif kind == "jsonl":
            table = (kind, "utf-8", *_jsonl(path, name, limits))
        else:
            table = _csv(path, name, encoding, is_header, limits)
    except TableError:
        raise
    except Exception as exc:  # noqa: BLE001 - whatever a parser raises on a damaged file, the file is unreadable
        raise TableError(msg("{name}: cannot read as {kind}: {why}", name=name, kind=kind, why=_why(exc, path))) from None
    kind, encoding, headers, rows, close = table
    return kind, encoding, headers, _bounded(rows, path, limits), close


def _bounded(rows, path, limits):
    """`rows`, at most limits.rows of them; reading that fails part-way ends them with (row number, TableError)."""
    name, number = os.path.basename(path), 0
    try:
        for count, (number, values) in enumerate(rows, start=1):
            if count > limits.rows:
                yield number, TableError(msg("{name}: stopped at row {number}: a file may have at most {most:,} rows "
                                             "(IMPORT_MAX_ROWS); import the rest as a file of its own",
                                             name=name, number=number, most=limits.rows))
                return
            yield number, values
    except TableError as exc:
        yield number, exc
    except Exception as exc:  # noqa: BLE001 - whatever a parser raises on a damaged file
        yield number, TableError(msg("{name}: cannot read past row {number}: {why}",
                                     name=name, number=number, why=_why(exc, path)))


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


def _header(cells, name, limits):
    """The header's cells up to its last named one; a header wider than the column bound is refused."""
    width = len(cells)
    while width and (cells[width - 1] is None or not str(cells[width - 1]).strip()):
        width -= 1
    if width > limits.columns:
        raise _too_wide(name, limits)
    return list(cells[:width])


def _too_wide(name, limits, line=None):
    if line is not None:
        return TableError(msg("{name}: stopped at line {line}: the lines name more than {most} columns "
                              "(IMPORT_MAX_COLUMNS)", name=name, line=line, most=limits.columns))
    return TableError(msg("{name}: the header has more than {most} columns (IMPORT_MAX_COLUMNS)",
                          name=name, most=limits.columns))


def _csv(path, name, encoding, is_header, limits):
    with open(path, "rb") as handle:
        sample = handle.read(SAMPLE_BYTES)
    if b"\x00" in sample:
        raise TableError(msg("{name}: binary data, not a CSV table", name=name))
    encoding = encoding or _encoding(sample)
    try:
        text = sample.decode(encoding, errors="ignore")
    except LookupError:
        raise TableError(msg("{name}: unknown encoding {encoding!r}", name=name, encoding=clip(encoding, 40))) from None
    try:
        delimiter = csv.Sniffer().sniff("\n".join(text[:SNIFF_CHARS].splitlines()[:20]), delimiters=",\t;").delimiter
    except csv.Error:
        delimiter = ","
    csv.field_size_limit(CSV_FIELD_FACTOR * limits.cell_chars)  # the module's, for the whole process
    handle = open(path, encoding=encoding, newline="")  # noqa: SIM115 - outlives this call: rows() or the returned close() shuts it
    reader = csv.reader(handle, delimiter=delimiter)
    try:
        found = _find_header(((reader.line_num, cells[:limits.columns + 1]) for cells in reader), is_header)
        if found is None:
            raise TableError(msg("{name}: empty file", name=name))
        headers = _header(found[1], name, limits)
    except UnicodeDecodeError:
        handle.close()
        raise TableError(msg("{name}: not {encoding} text; pass --encoding", name=name, encoding=encoding)) from None
    except BaseException:
        handle.close()
        raise

    def rows():
        with handle:
            while True:
                try:
                    for values in reader:
                        if len(values) > limits.columns:
                            del values[limits.columns:]  # past the last column: no header, never read
                        if any(v.strip() for v in values):
                            yield reader.line_num, values
                    return
                except csv.Error as exc:  # a field past the csv module's limit; it goes on at the next line
                    yield reader.line_num, (ValueError(msg(
                        "a cell of more than {size:,} characters, not read (a cell may have at most {most:,}: "
                        "IMPORT_MAX_CELL_CHARS)", size=CSV_FIELD_FACTOR * limits.cell_chars, most=limits.cell_chars))
                        if "field limit" in str(exc) else exc)
                except UnicodeDecodeError:  # met a few kilobytes ahead (text is decoded in blocks)
                    raise TableError(msg("{name}: not {encoding} text after line {line}; pass --encoding",
                                         name=name, encoding=encoding, line=reader.line_num)) from None

    return "csv", encoding, headers, rows(), handle.close


def _xlsx(path, name, sheet, is_header, limits):
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = _load_workbook(path, name, limits)
    except (zipfile.BadZipFile, InvalidFileException) as exc:
        raise TableError(msg("{name}: not an Excel .xlsx workbook ({why})", name=name, why=_why(exc, path))) from None
    try:
        if sheet is not None and sheet not in book.sheetnames:
            raise TableError(msg("{name}: no sheet named {sheet!r} (sheets: {sheets})",
                                 name=name, sheet=clip(sheet, 40), sheets=', '.join(listed(book.sheetnames))))
        if not book.worksheets:
            raise TableError(msg("{name}: no sheet to read", name=name))
        worksheet = book[sheet] if sheet else book.worksheets[0]
        # The declared size (<dimension>) is the file's word: openpyxl would pad every row to its width
        # (A1:XFD100001: 16,384 cells a row) and stop at its last row (A1:C2: the rest of the rows lost).
        worksheet.reset_dimensions()
        top = worksheet.iter_rows(max_col=limits.columns + 1, values_only=True)
        found = _find_header(((n, ["" if v is None else str(v) for v in values]) for n, values in enumerate(top, start=1)),
                             is_header)
        top.close()
        if found is None:
            raise TableError(msg("{name}: the sheet is empty", name=name))
        start, headers = found[0] + 1, _header(found[1], name, limits)
    except BaseException:
        book.close()
        raise
    # Rows as wide as the header (a cell further right has no column), numbered as in Excel.
    cells = enumerate(worksheet.iter_rows(min_row=start, max_col=len(headers), values_only=True), start=start)

    def rows():
        for n, values in cells:
            if n > EXCEL_LAST_ROW:  # openpyxl yields every row number up to the next row the file names
                raise TableError(msg("{name}: stopped at row {n:,}: a sheet has at most {most:,} rows",
                                     name=name, n=n, most=EXCEL_LAST_ROW))
            if any(v not in (None, "") for v in values):
                yield n, list(values)

    return headers, rows(), book.close


def _load_workbook(path, name, limits):
    """openpyxl's read-only workbook, read through a zip that checks each part first (see _Workbook)."""
    from openpyxl.reader.excel import ExcelReader

    reader = ExcelReader(path, read_only=True, data_only=True)  # load_workbook(path, read_only=True, data_only=True)
    reader.archive.close()
    reader.archive = _Workbook(path, name, limits)
    try:
        reader.read()
    except BaseException:
        reader.archive.close()
        raise
    return reader.wb


_UNIQUE_COUNT = re.compile(rb"""uniqueCount\s*=\s*["'](\d+)""")
# Tags found without parsing (openpyxl would build them all first). A '<' starts every tag, and none of
# these is longer than 40 bytes: _pieces relies on both.
_STRING_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]{0,30}:)?si[\s/>]")
_ROW_OR_CELL_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]{0,30}:)?(row|c)[\s/>]")


class _Workbook(zipfile.ZipFile):
    """A workbook's zip that checks each part before openpyxl reads it.

    openpyxl reads the shared strings into one list before the first row, reads the workbook's other
    parts whole (`read`), and parses each row of a sheet whole (`open` streams the sheet): so the parts
    may not unzip past their bounds (a zip bomb), the shared strings are counted first, and a part is
    scanned for a row of more cells than the column bound before it is handed over.
    """

    def __init__(self, path, name, limits):
        super().__init__(path)
        self.label, self.limits, self.scanned = name, limits, set()
        try:
            total = sum(part.file_size for part in self.infolist())  # zipfile never inflates past these sizes
            if total > limits.unzipped_bytes:
                raise TableError(msg("{name}: unzips to {total:,} bytes, more than {most:,} (IMPORT_MAX_UNZIPPED_BYTES)",
                                     name=name, total=total, most=limits.unzipped_bytes))
            types = ElementTree.fromstring(self.read("[Content_Types].xml"))
            for part in types.iter(f"{CONTENT_TYPES}Override"):
                if part.get("ContentType") == STRINGS_TYPE:  # as openpyxl finds them
                    self._check_strings(part.get("PartName", "").lstrip("/"))
        except BaseException:
            self.close()
            raise

    def _check_strings(self, part):
        """Refuse shared strings past the bounds: the count they declare, their size, the count they hold."""
        limits = self.limits
        with super().open(part) as handle:
            declared = _UNIQUE_COUNT.search(handle.read(4096))
        self._check_count(int(declared.group(1)) if declared else 0)  # the file's word, when it admits too many
        size = self.getinfo(part).file_size
        if size > limits.shared_strings_bytes:
            raise TableError(msg("{name}: its shared strings unzip to {size:,} bytes, more than {most:,} "
                                 "(IMPORT_MAX_SHARED_STRINGS_BYTES); save it as CSV or split it",
                                 name=self.label, size=size, most=limits.shared_strings_bytes))
        with super().open(part) as handle:
            self._check_count(sum(len(_STRING_TAG.findall(piece)) for piece in _pieces(handle)))
        self.scanned.add(part)  # no rows in it

    def _check_count(self, count):
        if count > self.limits.shared_strings:
            raise TableError(msg("{name}: {count:,} shared strings, more than {most:,} (IMPORT_MAX_SHARED_STRINGS); "
                                 "save it as CSV or split it",
                                 name=self.label, count=count, most=self.limits.shared_strings))

    def close(self):
        """Close the file too: a part openpyxl failed on stays open (it does not close it), which keeps it open."""
        handle = self.fp
        super().close()
        if handle is not None:
            handle.close()

    def read(self, name, pwd=None):
        """A part read whole: refused past WHOLE_PART_BYTES."""
        size = self.getinfo(getattr(name, "filename", name)).file_size
        if size > WHOLE_PART_BYTES:
            raise TableError(msg("{name}: {part} unzips to {size:,} bytes, more than a part that is not a sheet may ({most:,})",
                                 name=self.label, part=clip(getattr(name, 'filename', name), 60), size=size,
                                 most=WHOLE_PART_BYTES))
        return super().read(name, pwd)

    def open(self, name, mode="r", pwd=None, **kwargs):
        """A part streamed (a sheet): refused when a row holds more cells than the column bound."""
        part = getattr(name, "filename", name)
        if mode == "r" and part not in self.scanned:
            with super().open(part) as handle:
                if _widest_row(handle, self.limits.columns) > self.limits.columns:
                    raise TableError(msg("{name}: a row of {part} has more than {most} cells (IMPORT_MAX_COLUMNS)",
                                         name=self.label, part=clip(part, 60), most=self.limits.columns))
            self.scanned.add(part)
        return super().open(name, mode, pwd, **kwargs)


def _pieces(handle, size=1 << 20):
    """A part's bytes in pieces that each end before a '<', so no tag searched for is cut in two."""
    carry = b""
    while chunk := handle.read(size):
        chunk = carry + chunk
        cut = chunk.rfind(b"<")
        cut = len(chunk) if cut < 0 else cut
        yield chunk[:cut]
        carry = chunk[cut:cut + 64]  # the tag that starts there: its first bytes are enough
    yield carry


def _widest_row(handle, limit):
    """The most cells one row of a sheet's XML holds (counting stops past `limit`)."""
    widest = cells = 0
    for piece in _pieces(handle):
        for tag in _ROW_OR_CELL_TAG.findall(piece):
            if tag == b"row":
                cells = 0
            else:
                cells += 1
                if cells > widest:
                    widest = cells
                    if widest > limit:
                        return widest
    return widest


def _jsonl(path, name, limits):
    handle = open(path, "rb")  # noqa: SIM115 - outlives this call: objects() or the returned close() shuts it

    def objects():
        with handle:
            for number, line in enumerate(handle, start=1):  # decoded line by line: a bad line is that row's error
                if number == 1:
                    line = line.removeprefix(codecs.BOM_UTF8)
                if not line.strip():
                    continue
                try:
                    yield number, json.loads(line.decode("utf-8"))
                except UnicodeDecodeError:
                    yield number, ValueError("not UTF-8 text")
                except (ValueError, RecursionError) as exc:  # RecursionError: arrays nested thousands deep
                    yield number, exc

    stream = objects()
    try:
        first = next(stream, None)
        if first is None:
            raise TableError(msg("{name}: empty file", name=name))
        if not isinstance(first[1], dict):
            raise TableError(msg("{name}: line {line} is not a JSON object", name=name, line=first[0]))
    except BaseException:
        handle.close()
        raise
    headers = list(first[1])
    if len(headers) > limits.columns:
        handle.close()
        raise _too_wide(name, limits)

    def rows():
        for number, obj in itertools.chain([first], stream):
            if not isinstance(obj, dict):
                yield number, obj if isinstance(obj, Exception) else ValueError(msg("not a JSON object"))
                continue
            for key in obj:
                if key not in headers:
                    headers.append(key)  # later lines may add columns; mapped on the fly
                    if len(headers) > limits.columns:
                        raise _too_wide(name, limits, line=number)
            yield number, [obj.get(h) for h in headers]

    return headers, rows(), handle.close
