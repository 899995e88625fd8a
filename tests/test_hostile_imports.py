"""Hostile import files are bounded (issue 13): shared strings, zip bombs, declared sheet sizes, long
cells, wide headers, too many rows, server paths in messages, unreadable files.

Each test writes its file (hostile workbooks part by part with zipfile) and imports it through the
CLI and/or `import_volunteers` called as the upload job calls it (the file under its own name in a
temporary folder of the server, a report, progress callbacks, no limits passed: the defaults).
"""
import csv
import json
import time
import zipfile

import pytest
from sqlalchemy import func, select

from web.extensions import db
from web.models import Volunteer
from web.services.imports import importer as service
from web.services.imports.importer import import_volunteers
from web.services.imports.reader import TableError

from .test_imports import run

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
SHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
STRINGS_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
HEADER = ["姓名", "手机号", "服务区域"]


def workbook(path, rows, *, strings=None, sst="", dimension=None, parts=None):
    """Write an .xlsx part by part: `rows` is the sheetData XML (bytes), `strings` the <si> elements of
    the shared strings (bytes) with `sst` the attributes of their <sst>, `parts` any more {name: bytes}."""
    types = (f'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
             '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
             '<Default Extension="xml" ContentType="application/xml"/>'
             '<Override PartName="/xl/workbook.xml" '
             'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
             f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{SHEET_TYPE}"/>'
             f'<Override PartName="/xl/sharedStrings.xml" ContentType="{STRINGS_TYPE}"/></Types>')
    book_rels = (f'<Relationships xmlns="{PKG}"><Relationship Id="rId1" Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/>'
                 f'<Relationship Id="rId2" Type="{REL}/sharedStrings" Target="sharedStrings.xml"/></Relationships>')
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", types)
        archive.writestr("_rels/.rels", f'<Relationships xmlns="{PKG}"><Relationship Id="rId1" '
                                        f'Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>')
        archive.writestr("xl/workbook.xml", f'<workbook xmlns="{MAIN}" xmlns:r="{REL}"><sheets>'
                                            '<sheet name="志愿者" sheetId="1" r:id="rId1"/></sheets></workbook>')
        archive.writestr("xl/_rels/workbook.xml.rels", book_rels)
        archive.writestr("xl/worksheets/sheet1.xml", f'<worksheet xmlns="{MAIN}">{dim}<sheetData>'.encode() + rows
                         + b"</sheetData></worksheet>")
        archive.writestr("xl/sharedStrings.xml", f'<sst xmlns="{MAIN}"{sst}>'.encode() + (strings or b"") + b"</sst>")
        for name, data in (parts or {}).items():
            archive.writestr(name, data)


def text_cell(ref, text):
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def person_cells(i):
    """A valid person on sheet row i: name, phone (a number, as Excel keeps it), address."""
    return f'{text_cell(f"A{i}", f"志愿者{i}")}<c r="B{i}"><v>139{i:08d}</v></c>{text_cell(f"C{i}", "重庆市渝北区")}'


def sheet_rows(count, extra=""):
    """The header and `count` people as sheetData XML; `extra` is appended to each person's row."""
    header = "".join(text_cell(f"{col}1", name) for col, name in zip("ABC", HEADER))
    return (f'<row r="1">{header}</row>'
            + "".join(f'<row r="{i}">{person_cells(i)}{extra.format(i=i)}</row>' for i in range(2, count + 2))).encode()


def people_csv(path, count, first=0):
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows([f"志愿者{i}", f"139{i:08d}", "重庆市渝北区"] for i in range(first, first + count))


def stored(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Volunteer))


def refused(result, *words):
    """The CLI refused the file: exit 2, exactly one line on stderr saying why, no traceback."""
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == 2, result.output[-2000:]
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr[-2000:]
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


def server_copy(tmp_path, name):
    """Where the upload job keeps a file: a temporary folder of the server, under the file's own name."""
    folder = tmp_path / "srv" / "volmatch-import-k3x9"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / name


def upload_import(app, path, **limits):
    """`import_volunteers` as the upload job calls it; returns (summary, report rows, progress seen)."""
    seen = []
    report = path.parent / "report.csv"
    with app.app_context():
        summary = import_volunteers(str(path), dry_run=False, report_path=str(report), station_id=None, actor=None,
                                    progress=False, on_progress=lambda s: seen.append((s.read, s.created, s.rejected)),
                                    **limits)
    return summary, list(csv.DictReader(report.read_text(encoding="utf-8-sig").splitlines())), seen


def upload_refused(app, path, **limits):
    """The upload path refuses the file: a TableError naming the file, never the server's folder."""
    with pytest.raises(TableError) as caught:
        upload_import(app, path, **limits)
    message = str(caught.value)
    assert path.name in message and str(path.parent) not in message and "/srv/" not in message, message
    assert len(message) < 1000 and "\n" not in message, message
    return message


@pytest.fixture
def no_shared_strings_read(monkeypatch):
    """Fail if openpyxl starts reading a workbook's shared strings (they were to be refused before)."""

    def refuse(*_):
        raise AssertionError("openpyxl read the shared strings of a workbook that should have been refused")

    monkeypatch.setattr("openpyxl.reader.excel.read_string_table", refuse)


@pytest.fixture
def row_widths(monkeypatch):
    """The number of cells in each row the importer is given."""
    widths = []
    real = service.open_table

    def spy(*args, **kwargs):
        kind, encoding, headers, rows, close = real(*args, **kwargs)
        seen = ((widths.append(len(values)) if isinstance(values, (list, tuple)) else None, (number, values))[1]
                for number, values in rows)
        return kind, encoding, headers, seen, close

    monkeypatch.setattr(service, "open_table", spy)
    return widths


def test_the_bounds_are_settings_read_from_the_environment(monkeypatch, tmp_path):
    from web import create_app

    monkeypatch.setenv("IMPORT_MAX_ROWS", "5000")
    monkeypatch.setenv("IMPORT_MAX_CELL_CHARS", "300")
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'env.sqlite'}"})
    assert (app.config["IMPORT_MAX_ROWS"], app.config["IMPORT_MAX_CELL_CHARS"]) == (5000, 300)
    assert app.config["IMPORT_MAX_COLUMNS"] == 200


# 1. Shared strings: openpyxl reads the whole table into a list before the first row.

def test_four_million_shared_strings_are_refused_before_openpyxl_reads_them(runner, tmp_path, no_shared_strings_read):
    path = tmp_path / "strings.xlsx"
    workbook(path, sheet_rows(3), strings=b"<si><t>x</t></si>" * 4_000_000, sst=' count="4000000" uniqueCount="4000000"')
    assert path.stat().st_size < 600_000  # took a worker to 1 GB
    refused(run(runner, path), "strings.xlsx", "4,000,000 shared strings", "IMPORT_MAX_SHARED_STRINGS")


def test_shared_strings_are_counted_when_the_file_lies_about_them(app, tmp_path, no_shared_strings_read):
    path = server_copy(tmp_path, "志愿者.xlsx")
    workbook(path, sheet_rows(3), strings=b"<si><t>y</t></si>" * 1_500_000, sst=' count="3" uniqueCount="3"')
    message = upload_refused(app, path)
    assert "1,500,000 shared strings, more than 1,000,000" in message


def test_shared_string_text_is_bounded(runner, app, tmp_path, no_shared_strings_read):
    path = tmp_path / "long_strings.xlsx"
    workbook(path, sheet_rows(3), strings=(b"<si><t>" + "长".encode() * 400_000 + b"</t></si>") * 3, sst=' uniqueCount="3"')
    app.config["IMPORT_MAX_SHARED_STRINGS_BYTES"] = 1_000_000  # the CLI passes the app's settings
    refused(run(runner, path), "long_strings.xlsx", "IMPORT_MAX_SHARED_STRINGS_BYTES")
    copy = server_copy(tmp_path, path.name)
    copy.write_bytes(path.read_bytes())
    upload_refused(app, copy, max_shared_strings_bytes=1_000_000)


def test_a_zip_bomb_is_refused(runner, app, tmp_path):
    padded = tmp_path / "bomb.xlsx"
    workbook(padded, sheet_rows(3) + b" " * 50_000_000)  # 50 MB of nothing in the sheet
    assert padded.stat().st_size < 200_000
    app.config["IMPORT_MAX_UNZIPPED_BYTES"] = 20_000_000
    refused(run(runner, padded), "bomb.xlsx", "IMPORT_MAX_UNZIPPED_BYTES")
    # A part openpyxl reads whole (not a sheet, which it streams) is held to far less, whatever the settings.
    styles = server_copy(tmp_path, "styles.xlsx")
    workbook(styles, sheet_rows(3), parts={"xl/styles.xml": f'<styleSheet xmlns="{MAIN}">'.encode() + b" " * 40_000_000
                                           + b"</styleSheet>"})
    assert "xl/styles.xml" in upload_refused(app, styles)


# 2. The declared sheet size is the file's word, not the truth.

def test_a_declared_dimension_does_not_pad_rows(runner, app, tmp_path, row_widths):
    path = tmp_path / "dimension.xlsx"
    workbook(path, sheet_rows(2000), dimension="A1:XFD100001")  # took 134 s for 100k rows
    result = run(runner, path)
    assert result.exit_code == 0, result.output
    assert "created 2000, updated 0, unchanged 0, rejected 0" in result.output
    assert max(row_widths) <= 3  # not 16,384 cells a row


def test_a_dimension_that_claims_fewer_rows_loses_none(runner, app, tmp_path):
    path = tmp_path / "small_dimension.xlsx"
    workbook(path, sheet_rows(50), dimension="A1:C2")
    result = run(runner, path)
    assert "created 50, updated 0, unchanged 0, rejected 0" in result.output, result.output


def test_cells_far_to_the_right_are_not_read(runner, app, tmp_path, row_widths):
    path = tmp_path / "far.xlsx"
    workbook(path, sheet_rows(500, extra='<c r="XFD{i}"><v>1</v></c>'))
    result = run(runner, path)
    assert "created 500, updated 0, unchanged 0, rejected 0" in result.output, result.output
    assert max(row_widths) <= 200


def test_a_row_of_too_many_cells_is_refused_before_it_is_parsed(runner, app, tmp_path):
    path = tmp_path / "wide_row.xlsx"
    workbook(path, sheet_rows(3, extra="<c/>" * 300_000))  # 300,000 cells in a row, 1.2 MB of XML
    refused(run(runner, path), "wide_row.xlsx", "IMPORT_MAX_COLUMNS")
    assert stored(app) == 0


def test_row_numbers_past_excels_last_row_stop_the_import(runner, app, tmp_path):
    path = tmp_path / "far_down.xlsx"
    workbook(path, sheet_rows(3) + f'<row r="3000000">{person_cells(3000000)}</row>'.encode())
    result = run(runner, path)
    refused(result, "far_down.xlsx", "1,048,576")
    assert "created 3," in result.stdout and stored(app) == 3  # the rows before it are kept


# 3. A long cell is a row error, never a failed import.

def long_cell_file(path, kind, text):
    rows = [["张三", "13800000001", "重庆市渝北区"], [text, "13800000002", "重庆市渝北区"],
            ["李四", "13800000003", "重庆市渝北区"]]
    if kind == "csv":
        with open(path, "w", encoding="utf-8", newline="") as handle:
            csv.writer(handle).writerows([HEADER, *rows])
    elif kind == "jsonl":
        path.write_text("".join(json.dumps(dict(zip(HEADER, r)), ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    else:
        body = "".join(f'<row r="{n}">' + "".join(text_cell(f"{c}{n}", v) for c, v in zip("ABC", r)) + "</row>"
                       for n, r in enumerate([HEADER, *rows], start=1))
        workbook(path, body.encode())


@pytest.mark.parametrize("kind", ["csv", "xlsx", "jsonl"])
def test_a_200000_character_cell_is_a_row_error(runner, app, tmp_path, kind):
    path = tmp_path / f"long.{kind}"
    long_cell_file(path, kind, "长" * 200_000)
    report = tmp_path / "report.csv"
    result = run(runner, path, "--report", report)
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), repr(result.exception)
    assert "created 2, updated 0, unchanged 0, rejected 1" in result.stdout, result.output
    (row,) = csv.DictReader(report.read_text(encoding="utf-8-sig").splitlines())
    assert (row["row"], row["column"]) == ("3" if kind != "jsonl" else "2", "姓名")
    assert row["value"].startswith("长长长") and len(row["value"]) <= 201  # clipped
    assert "200,000 characters" in row["reason"] and "10,000" in row["reason"] and "IMPORT_MAX_CELL_CHARS" in row["reason"]


def test_a_long_cell_through_the_upload_path(app, tmp_path):
    path = server_copy(tmp_path, "long.csv")
    long_cell_file(path, "csv", "长" * 200_000)  # was: the job failed with "internal error"
    summary, report, _ = upload_import(app, path)
    assert (summary.created, summary.rejected) == (2, 1)
    assert report[0]["column"] == "姓名" and "IMPORT_MAX_CELL_CHARS" in report[0]["reason"]


def test_a_cell_past_the_csv_field_limit_is_a_row_error(runner, app, tmp_path):
    path = tmp_path / "huge_cell.csv"
    long_cell_file(path, "csv", "x" * 3_000_000)
    report = tmp_path / "report.csv"
    result = run(runner, path, "--report", report)
    assert "created 2, updated 0, unchanged 0, rejected 1" in result.stdout, result.output
    (row,) = csv.DictReader(report.read_text(encoding="utf-8-sig").splitlines())
    assert row["row"] == "3" and "characters" in row["reason"] and len(row["reason"]) < 300


def test_the_cell_bound_is_a_setting(app, runner, tmp_path):
    path = server_copy(tmp_path, "short.csv")
    long_cell_file(path, "csv", "名" * 30)
    summary, report, _ = upload_import(app, path, max_cell_chars=20)
    assert (summary.created, summary.rejected) == (2, 1) and "30 characters" in report[0]["reason"]
    app.config["IMPORT_MAX_CELL_CHARS"] = 20
    assert "rejected 1" in run(runner, path).stdout


# 4. Columns: a bounded header, and a short list of unknown columns.

def test_a_header_of_two_million_columns_is_refused(runner, tmp_path):
    path = tmp_path / "wide.csv"
    header = ",".join(HEADER + [f"c{i}" for i in range(2_000_000)])
    path.write_text(header + "\n张三,13800000001,重庆市渝北区\n", encoding="utf-8")
    result = run(runner, path)
    refused(result, "wide.csv", "200", "IMPORT_MAX_COLUMNS")
    assert len(result.output) < 500  # was 19 MB


@pytest.mark.parametrize("kind", ["xlsx", "jsonl"])
def test_a_wide_header_is_refused_in_every_format(app, tmp_path, kind):
    path = server_copy(tmp_path, f"wide.{kind}")
    names = HEADER + [f"c{i}" for i in range(300)]
    if kind == "xlsx":
        workbook(path, ("<row>" + "".join(f'<c t="inlineStr"><is><t>{n}</t></is></c>' for n in names) + "</row>").encode())
    else:
        path.write_text(json.dumps(dict.fromkeys(names, "x"), ensure_ascii=False) + "\n", encoding="utf-8")
    assert "IMPORT_MAX_COLUMNS" in upload_refused(app, path)


def test_json_lines_that_keep_adding_keys_stop_at_the_column_bound(runner, app, tmp_path):
    path = tmp_path / "growing.jsonl"
    lines = [{"姓名": f"志愿者{i}", "手机号": f"139{i:08d}", "服务区域": "重庆市渝北区", **{f"k{i}-{j}": 1 for j in range(20)}}
             for i in range(100)]
    path.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), encoding="utf-8")
    result = run(runner, path)
    refused(result, "growing.jsonl", "IMPORT_MAX_COLUMNS")
    assert stored(app) == 9  # 3 + 9 x 20 keys fit in 200 columns; what was read before is kept


def test_the_unknown_columns_are_listed_briefly(runner, app, tmp_path):
    path = server_copy(tmp_path, "many_columns.csv")
    extra = [f"备注{i}" + "很长" * 500 for i in range(150)]
    path.write_text(",".join(HEADER + extra) + "\n张三,13800000001,重庆市渝北区\n", encoding="utf-8")
    summary, _, _ = upload_import(app, path)
    message = ", ".join(summary.unknown_columns)  # the job's message
    assert len(message) < 2000 and "130 more" in message, message
    result = run(runner, path)
    assert result.exit_code == 0 and len(result.output) < 3000 and "130 more" in result.output


def test_a_csv_made_to_stall_the_delimiter_sniffer_is_read_at_once(runner, tmp_path):
    path = tmp_path / "sniff.csv"
    path.write_text('"a,"b' * 50_000 + "\n", encoding="utf-8")  # csv.Sniffer took 97 s over the 250 KB sample
    started = time.perf_counter()
    refused(run(runner, path), "sniff.csv")
    assert time.perf_counter() - started < 10


# 5. Rows per file: past the bound the import stops; what was written is kept; the rest imports alone.

@pytest.mark.parametrize("jobs", ["1", "2"])
def test_rows_past_the_bound_stop_the_import_and_the_rest_imports_alone(runner, app, tmp_path, jobs):
    path = tmp_path / "many.csv"
    people_csv(path, 3000)
    app.config["IMPORT_MAX_ROWS"] = 1200
    result = run(runner, path, "--jobs", jobs)
    refused(result, "many.csv", "1,200 rows", "IMPORT_MAX_ROWS", "row 1202")
    assert "created 1200, updated 0, unchanged 0, rejected 0" in result.stdout
    assert stored(app) == 1200
    app.config["IMPORT_MAX_ROWS"] = 2000
    rest = tmp_path / "rest.csv"
    people_csv(rest, 1800, first=1200)
    assert "created 1800," in run(runner, rest, "--jobs", jobs).stdout
    again = tmp_path / "again.csv"
    people_csv(again, 2000)
    assert "created 0, updated 0, unchanged 2000, rejected 0" in run(runner, again).stdout  # a rerun finds it all done
    assert stored(app) == 3000


def test_the_row_bound_on_the_upload_path_reports_what_was_written(app, tmp_path):
    path = server_copy(tmp_path, "many.csv")
    people_csv(path, 1500)
    seen = []
    with app.app_context(), pytest.raises(TableError) as caught:
        import_volunteers(str(path), progress=False, on_progress=lambda s: seen.append((s.read, s.created)), max_rows=1000)
    assert "1,000 rows" in str(caught.value) and str(path.parent) not in str(caught.value)
    assert seen[-1] == (1000, 1000) and stored(app) == 1000  # the job's counts match what was written


# 6 and 7. Unreadable files: exit 2 with one line naming the file (never a server path), never a traceback.

def _damaged_sheet(path, dimension=None):
    workbook(path, sheet_rows(600)[:-300] + b"<<< not xml", dimension=dimension)


def _truncated(path):
    workbook(path, sheet_rows(600))
    path.write_bytes(path.read_bytes()[:-300])


def _not_a_workbook(path):
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("notes.txt", "hello")


UNREADABLE = {
    "missing.csv": None,
    "blob.csv": lambda p: p.write_bytes(bytes(range(256)) * 400),
    "high_bytes.csv": lambda p: p.write_bytes(bytes(range(128, 256)) * 800),
    "empty.csv": lambda p: p.write_bytes(b""),
    "blank.csv": lambda p: p.write_bytes(b"\n \n\n"),
    "empty.jsonl": lambda p: p.write_bytes(b""),
    "empty.xlsx": lambda p: p.write_bytes(b""),
    "no_name.csv": lambda p: p.write_text("手机号,服务区域\n13800000001,重庆市渝北区\n", encoding="utf-8"),
    "truncated.xlsx": _truncated,
    "damaged.xlsx": _damaged_sheet,
    "notes.xlsx": _not_a_workbook,
    "text.xlsx": lambda p: p.write_text("姓名\n张三\n", encoding="utf-8"),
    "array.jsonl": lambda p: p.write_text("[1, 2]\n", encoding="utf-8"),
    "deep.jsonl": lambda p: p.write_text("[" * 100_000 + "\n", encoding="utf-8"),
}


@pytest.mark.parametrize("name", UNREADABLE)
def test_an_unreadable_file_is_exit_2_with_one_line(runner, tmp_path, name):
    path = tmp_path / name
    if UNREADABLE[name]:
        UNREADABLE[name](path)
    line = refused(run(runner, path), name)
    assert str(tmp_path) not in line


@pytest.mark.parametrize("name", UNREADABLE)
def test_upload_path_messages_name_the_file_never_the_server_folder(app, tmp_path, name):
    path = server_copy(tmp_path, name)
    if UNREADABLE[name]:
        UNREADABLE[name](path)
    upload_refused(app, path)


def test_a_sheet_damaged_part_way_keeps_the_rows_before_it(runner, app, tmp_path):
    path = tmp_path / "damaged.xlsx"
    _damaged_sheet(path, dimension="A1:C601")  # else openpyxl parses the whole sheet to learn its size, and fails then
    result = run(runner, path)
    refused(result, "damaged.xlsx", "row")
    assert stored(app) > 300 and f"created {stored(app)}," in result.stdout


def test_bad_json_lines_are_row_errors(runner, app, tmp_path):
    path = tmp_path / "bad_lines.jsonl"
    good = [json.dumps({"姓名": f"志愿者{i}", "手机号": f"139{i:08d}", "服务区域": "重庆市渝北区"}, ensure_ascii=False).encode()
            for i in range(3)]
    path.write_bytes(b"\n".join([good[0], b"not json", b"[1, 2]", b"[" * 100_000, b'{"\xff\xfe": 1}', good[1],
                                 "长".encode() * 10, good[2]]) + b"\n")
    report = tmp_path / "report.csv"
    result = run(runner, path, "--report", report)
    assert result.exit_code == 1 and "created 3, updated 0, unchanged 0, rejected 5" in result.stdout, result.output
    rows = {r["row"]: r["reason"] for r in csv.DictReader(report.read_text(encoding="utf-8-sig").splitlines())}
    assert set(rows) == {"2", "3", "4", "5", "7"}
    assert "UTF-8" in rows["5"]


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_an_error_inside_a_rows_handling_is_a_row_error(runner, app, tmp_path, monkeypatch, jobs):
    real = service.split_list

    def fragile(text):
        if text == "爆炸":
            raise RuntimeError("the parser fell over")
        return real(text)

    monkeypatch.setattr(service, "split_list", fragile)
    path = tmp_path / "fragile.csv"
    path.write_text("姓名,手机号,服务区域,技能\n张三,13800000001,重庆市渝北区,手语\n李四,13800000002,重庆市渝北区,爆炸\n"
                    "王五,13800000003,重庆市渝北区,急救\n", encoding="utf-8")
    report = tmp_path / "report.csv"
    result = run(runner, path, "--report", report, "--jobs", jobs)
    assert result.exit_code == 1 and "created 2, updated 0, unchanged 0, rejected 1" in result.stdout, result.output
    (row,) = csv.DictReader(report.read_text(encoding="utf-8-sig").splitlines())
    assert row["row"] == "3" and "RuntimeError" in row["reason"] and "the parser fell over" in row["reason"]
