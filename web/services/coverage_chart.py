"""Draw the coverage report as a PNG: one horizontal bar per row with open seats, largest gap on top.

Each bar is a row's open seats: its red part the gap (seats nobody of the district could take), its grey
part the seats people could cover. Bars keep one height whether the report has one row or forty (at
most MAX_BARS are drawn; a note counts the rest), so the picture reads the same for a district or a city.

`narrow=True` draws the same for a phone, or a column beside the table: 4 inches at 300 dpi (1200 px, three
pixels a CSS pixel when shown 400 px wide), each bar under its own label, the picture as tall as its bars
need (810 px, and 138 px a bar).

Matplotlib renders off-screen (Agg); Chinese labels use Noto Sans CJK SC from the mplfonts package,
so the picture needs no system font and no network.
"""
import functools
import io
from importlib.resources import files

from ..common.schemas import LOCAL_TZ
from .coverage import category_order, pinyin_key

WIDTH_IN, HEIGHT_IN, DPI = 12, 8, 100  # 1200 x 800 pixels
MAX_BARS = 30  # at 800 px, a readable label per bar
MIN_SLOTS = 12  # a bar is never taller than 1/12 of the plot, however few rows there are
NARROW_IN, NARROW_DPI, NARROW_BAR_IN, NARROW_FRAME_IN = 4, 300, 0.46, 2.7  # 1200 px wide; a bar's height, the rest
GAP_COLOUR, COVERED_COLOUR, INK, MUTED = "#b3261e", "#c9d1d6", "#1d2327", "#5f6b73"  # the console's colours

WORDS = {
    True: {"title": "志愿服务缺口（红色：待补岗位中无人可补的部分）", "gap": "缺口（无人可补）", "covered": "有人可补",
           "bar": "缺口 {gap} · 待补 {demand} · 可服务 {people}", "axis": "待补岗位",
           "range": "{starts} 至 {ends}", "page": "第 {page}/{pages} 页，共 {rows} 行",
           "rest": "另有 {n} 行未画出（缺口合计 {gap}）", "none": "这段时间没有待补岗位", "empty": "无数据",
           "district": "{district}：无数据", "short_title": "志愿服务缺口", "short_bar": "缺 {gap} / {demand} 岗"},
    False: {"title": "Coverage gap (red: open seats nobody could take)", "gap": "gap (nobody could take)",
            "covered": "people could cover", "bar": "gap {gap} · open {demand} · people {people}",
            "axis": "open seats", "range": "{starts} to {ends}", "page": "page {page} of {pages}, {rows} rows",
            "rest": "{n} more rows not drawn (gap {gap} in all)", "none": "no open seats in this range",
            "empty": "no data", "district": "{district}: no data", "short_title": "Coverage gap",
            "short_bar": "gap {gap} of {demand}"},
}


@functools.cache
def _font_family():
    """Register the shipped CJK font once; return its family name."""
    from matplotlib import font_manager

    path = files("mplfonts") / "fonts" / "NotoSansCJKsc-Regular.otf"
    font_manager.fontManager.addfont(str(path))
    return font_manager.FontProperties(fname=str(path)).get_name()


def _subtitle(report, words):
    """The range, and which page of how many rows (when the report is a page of a longer one)."""
    starts, ends = (report[key].astimezone(LOCAL_TZ).date().isoformat() for key in ("from", "to"))
    parts = [words["range"].format(starts=starts, ends=ends)]
    if report.get("page_size") and report.get("pages", 1) > 1:
        parts.append(words["page"].format(page=report["page"], pages=report["pages"], rows=report["total_rows"]))
    return " · ".join(parts)


def _bars(report):
    """The rows with open seats, largest gap first: those drawn, and those left out."""
    asked = [r for r in report["rows"] if r["demand"] > 0]
    asked.sort(key=lambda r: (-r["gap"], -r["demand"], pinyin_key(r["district"]), category_order(r["category"])))
    return asked[:MAX_BARS], asked[MAX_BARS:]


def _empty_words(report, words):
    if report["rows"]:
        return words["none"]
    if report.get("district"):
        return words["district"].format(district=report["district"])
    return words["empty"]


def _png(figure, dpi):
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=dpi)
    return out.getvalue()


def coverage_png(report, chinese=True, narrow=False):
    """PNG bytes (1200 x 800; `narrow`: 1200 wide and as tall as its bars need) of a report from coverage.coverage() or
    coverage.report() (one page of it). Names are drawn as written: a `$` in one is not mathematics."""
    import matplotlib

    matplotlib.use("Agg")
    with matplotlib.rc_context({"text.parse_math": False}):
        return _coverage_png(report, chinese, narrow)


def _coverage_png(report, chinese, narrow):
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch
    from matplotlib.ticker import MaxNLocator

    words = WORDS[bool(chinese)]
    labels = {c["id"]: c["zh" if chinese else "en"] for c in report["categories"]}
    shown, rest = _bars(report)
    family = _font_family()
    if narrow:
        return _narrow_png(report, words, labels, shown, rest, family)
    figure = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI)
    figure.suptitle(words["title"], fontfamily=family, fontsize=15, color=INK)
    axes = figure.add_subplot()
    axes.set_title(_subtitle(report, words), fontfamily=family, fontsize=10, color=MUTED)
    if shown:
        y = range(len(shown))
        gaps = [r["gap"] for r in shown]
        covered = [r["demand"] - r["gap"] for r in shown]
        axes.barh(y, gaps, height=0.7, color=GAP_COLOUR)
        axes.barh(y, covered, left=gaps, height=0.7, color=COVERED_COLOUR)
        longest = max(r["demand"] for r in shown)
        for i, r in enumerate(shown):
            axes.text(r["demand"] + longest * 0.01, i, words["bar"].format(**r), va="center", fontsize=9,
                      fontfamily=family, color=INK)
        names = [f"{r['district'] or '?'} · {labels.get(r['category'], r['category'])}" for r in shown]
        axes.set_yticks(list(y), names, fontfamily=family, fontsize=10)
        axes.set_ylim(max(len(shown), MIN_SLOTS) - 0.5, -0.5)  # the largest gap on top; bars keep their height
        axes.set_xlim(0, longest * 1.45)  # room for the words after the longest bar
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        axes.set_xlabel(words["axis"], fontfamily=family, fontsize=10, color=MUTED)
        axes.grid(axis="x", color="#eceff1")
        axes.set_axisbelow(True)
        for side in ("top", "right"):
            axes.spines[side].set_visible(False)
        figure.legend(handles=[Patch(color=GAP_COLOUR, label=words["gap"]), Patch(color=COVERED_COLOUR, label=words["covered"])],
                      loc="upper left", bbox_to_anchor=(0.005, 0.995), prop={"family": family, "size": 9}, frameon=False)
        if rest:
            note = words["rest"].format(n=len(rest), gap=sum(r["gap"] for r in rest))
            figure.text(0.99, 0.01, note, ha="right", va="bottom", fontfamily=family, fontsize=10, color=MUTED)
    else:
        axes.text(0.5, 0.5, _empty_words(report, words), ha="center", va="center", fontfamily=family, fontsize=14,
                  color=MUTED)
        axes.set_axis_off()
    figure.tight_layout()
    return _png(figure, DPI)


def _narrow_png(report, words, labels, shown, rest, family):
    """The phone's picture: a label line above each bar, the numbers after it, the legend on top."""
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch
    from matplotlib.ticker import MaxNLocator

    height = NARROW_FRAME_IN + NARROW_BAR_IN * max(len(shown), 1)
    figure = Figure(figsize=(NARROW_IN, height), dpi=NARROW_DPI)
    top = 1 - 0.95 / height  # the title, the range and the legend above the bars (inches, as a share)
    figure.text(0.04, 1 - 0.22 / height, words["short_title"], fontfamily=family, fontsize=13, color=INK, va="top")
    figure.text(0.04, 1 - 0.5 / height, _subtitle(report, words), fontfamily=family, fontsize=8.5, color=MUTED, va="top")
    axes = figure.add_axes((0.04, 0.55 / height, 0.92, top - 0.55 / height))
    if not shown:
        axes.text(0.5, 0.5, _empty_words(report, words), ha="center", va="center", fontfamily=family, fontsize=10,
                  color=MUTED, wrap=True)
        axes.set_axis_off()
        return _png(figure, NARROW_DPI)
    figure.legend(handles=[Patch(color=GAP_COLOUR, label=words["gap"]), Patch(color=COVERED_COLOUR, label=words["covered"])],
                  loc="upper left", bbox_to_anchor=(0.03, 1 - 0.68 / height), ncol=2, frameon=False,
                  prop={"family": family, "size": 8.5}, handlelength=1.2, columnspacing=1.2)
    longest = max(r["demand"] for r in shown)
    for i, r in enumerate(shown):
        axes.barh(-i, r["gap"], height=0.38, color=GAP_COLOUR)
        axes.barh(-i, r["demand"] - r["gap"], left=r["gap"], height=0.38, color=COVERED_COLOUR)
        name = f"{r['district'] or '?'} · {labels.get(r['category'], r['category'])}"
        axes.text(0, -i + 0.24, name, va="bottom", fontfamily=family, fontsize=10, color=INK)
        axes.text(r["demand"] + longest * 0.02, -i, words["short_bar"].format(**r), va="center", fontfamily=family,
                  fontsize=9, color=INK)
    axes.set_ylim(-len(shown) + 0.5, 0.85)
    axes.set_xlim(0, longest * 1.4)
    axes.set_yticks([])
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.tick_params(axis="x", labelsize=8.5, colors=MUTED)
    axes.grid(axis="x", color="#eceff1")
    axes.set_axisbelow(True)
    for side in ("top", "right", "left"):
        axes.spines[side].set_visible(False)
    if rest:
        figure.text(0.96, 0.12 / height, words["rest"].format(n=len(rest), gap=sum(r["gap"] for r in rest)), ha="right",
                    va="bottom", fontfamily=family, fontsize=8.5, color=MUTED)
    return _png(figure, NARROW_DPI)
