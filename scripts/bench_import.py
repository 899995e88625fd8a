#!/usr/bin/env python
"""Benchmark the bulk import: rows per second and peak memory, first import, re-import and dry run.

    python scripts/bench_import.py [--rows 100000] [--database-url URL] [--formats csv,xlsx] [--jobs auto|N]

Writes a synthetic export (GBK CSV and .xlsx, Chinese headers, a realistic share of dirty cells
and bad rows) to a temporary folder, then runs `scripts/import_volunteers.py` on it in a fresh
process per phase, so each phase's peak memory (PSS of the process and its workers, see `measure`)
is its own. Default database: a new
SQLite file; pass a PostgreSQL URL (an empty scratch database) to measure that too. Prints figures,
asserts nothing.
"""
import argparse
import csv
import datetime as dt
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEADERS = ["志愿者编号", "姓名", "性别", "手机号", "身份证号", "专业技能", "居住地址", "空闲时间", "备注"]
SKILLS = ["心理疏导", "心理咨询", "法律援助", "课业辅导", "儿童陪伴", "助老服务", "急救", "烹饪", "电工", "手语", "摄影", "驾驶"]
PLACES = ["重庆市渝中区解放碑", "重庆市江北区观音桥", "重庆市渝北区龙溪街道", "重庆市沙坪坝区三峡广场", "重庆市九龙坡区杨家坪",
          "重庆市南岸区南坪", "重庆市巴南区", "重庆市北碚区", "渝北区", "江津区", "重庆市梁平县", "武隆县"]
TIMES = ["周末", "周六上午", "工作日晚上", "每周三下午", "节假日", "全天", "Sat 9-12", "周六上午、周日下午",
         "周一至周五 19:00-21:00"]


def id_number(rng, i):
    """A valid synthetic resident ID number (GB 11643 check digit)."""
    weights, checks = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2), "10X98765432"
    born = dt.date(1950, 1, 1) + dt.timedelta(days=i % 20000)  # with the sequence digits: unique per i
    first17 = f"500112{born:%Y%m%d}{i // 20000:03d}"
    return first17 + checks[sum(int(d) * w for d, w in zip(first17, weights)) % 11]


def rows(n, seed=3):
    """Synthetic export rows: ~93% clean (with dirty but readable cells), ~7% bad."""
    rng = random.Random(seed)
    for i in range(n):
        phone = f"13{rng.randint(0, 9)}{i:08d}"
        row = [f"CQ{i:07d}", f"志愿者{i}", rng.choice("男女"), phone, id_number(rng, i) if rng.random() < 0.6 else "",
               "、".join(rng.sample(SKILLS, rng.randint(1, 3))), rng.choice(PLACES), rng.choice(TIMES), ""]
        dirt = rng.random()
        if dirt < 0.05:
            row[3] = f"+86 {phone[:3]} {phone[3:7]} {phone[7:]}"
        elif dirt < 0.08:
            row[3] = phone.translate(str.maketrans("0123456789", "０１２３４５６７８９"))  # full-width
        elif dirt < 0.10:
            row[3] = "1.38001E+10"  # rounded by Excel: rejected
        elif dirt < 0.12:
            row[7] = "看情况"  # unreadable availability: rejected
        elif dirt < 0.14:
            row[6] = "某某小区"  # no district: rejected
        elif dirt < 0.15 and row[4]:
            row[4] = row[4][:-1] + ("0" if row[4][-1] != "0" else "1")  # bad check digit: rejected
        yield row


def write_files(folder, n):
    """The same rows as a GBK CSV and as an .xlsx; returns their paths."""
    from openpyxl import Workbook

    csv_path, xlsx_path = folder / "export_gbk.csv", folder / "export.xlsx"
    with open(csv_path, "w", encoding="gb18030", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADERS)
        writer.writerows(rows(n))
    book = Workbook(write_only=True)
    sheet = book.create_sheet("志愿者")
    sheet.append(HEADERS)
    for row in rows(n):
        sheet.append(row)
    book.save(xlsx_path)
    return {"csv": csv_path, "xlsx": xlsx_path}


def measure(path, database_url, *extra):
    """Run one phase; returns (rows/s from its summary, peak MB, wall seconds of the whole command, output).

    Peak MB is the largest sum of the proportional set size (PSS: shared pages
    split between the processes sharing them) of the import process and its worker processes, so
    forked workers are counted without counting the memory they share twice. Sampled every 0.1 s.
    """
    env = {**os.environ, "DATABASE_URL": database_url, "VOLMATCH_ENV": "development"}
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out:
        proc = subprocess.Popen([sys.executable, "scripts/import_volunteers.py", str(path), *extra], cwd=ROOT, env=env,
                                stdout=out, stderr=subprocess.STDOUT, text=True)
        peak = 0.0
        while proc.poll() is None:
            peak = max(peak, tree_pss_mb(proc.pid))
            time.sleep(0.1)
        wall = time.perf_counter() - started
        out.seek(0)
        output = out.read()
    rate = re.search(r"\(([\d,]+) rows/s\)", output)
    return (int(rate.group(1).replace(",", "")) if rate else 0), peak, wall, output.strip()


def tree_pss_mb(pid):
    """PSS in MB of a process and its descendants (Linux /proc; 0 for processes already gone)."""
    total, todo = 0, [pid]
    while todo:
        member = todo.pop()
        try:
            with open(f"/proc/{member}/task/{member}/children") as handle:
                todo.extend(int(child) for child in handle.read().split())
            with open(f"/proc/{member}/smaps_rollup") as handle:
                total += next(int(line.split()[1]) for line in handle if line.startswith("Pss:"))
        except (OSError, StopIteration):
            continue
    return total / 1024


def prepare_database(database_url):
    """Bring the database to the current schema (it should be empty)."""
    env = {**os.environ, "DATABASE_URL": database_url, "VOLMATCH_ENV": "development"}
    subprocess.run([sys.executable, "-m", "flask", "--app", "web", "db", "upgrade"], cwd=ROOT, env=env, check=True,
                   capture_output=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--database-url", help="default: a new SQLite file per format")
    parser.add_argument("--formats", default="csv,xlsx")
    parser.add_argument("--jobs", default="auto", help="passed to the import (auto: one worker per core for big files)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        files = write_files(folder, args.rows)
        print(f"wrote {args.rows:,} rows as GBK CSV and .xlsx in {time.perf_counter() - started:.1f} s")
        print(f"{'format':6} {'database':10} {'phase':10} {'rows/s':>9} {'peak MB':>8} {'command s':>9}  summary")
        for kind in args.formats.split(","):
            url = args.database_url or f"sqlite:///{folder / f'bench_{kind}.sqlite'}"
            prepare_database(url)
            dialect = url.split(":")[0].split("+")[0]
            for phase, extra in (("dry run", ["--dry-run"]), ("first", []), ("re-import", [])):
                rate, peak, wall, output = measure(files[kind], url, *extra, "--jobs", args.jobs)
                counts = next((line.strip() for line in output.splitlines() if "created" in line), output[-200:])
                print(f"{kind:6} {dialect:10} {phase:10} {rate:9,} {peak:8.0f} {wall:9.1f}  {counts}")
            if args.database_url:
                print("(the database now holds the imported rows: use a fresh one for the next run)")
                break
    print("rows/s: the import's own rate (its summary line); command s: the whole command, Python start-up included")
    print("targets (SQLite, 100,000-row CSV): first import >= 20,000 rows/s; re-import >= 40,000 rows/s; peak <= 300 MB")


if __name__ == "__main__":
    main()
