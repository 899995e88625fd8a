"""Draw the coverage table as a PNG: a heat map of the gap, district by skill category.

Matplotlib renders off-screen (Agg); Chinese labels use Noto Sans CJK SC from the mplfonts package,
so the picture needs no system font and no network.
"""
import functools
import io
from importlib.resources import files

WIDTH_IN, HEIGHT_IN, DPI = 12, 8, 100  # 1200 x 800 pixels


@functools.cache
def _font_family():
    """Register the shipped CJK font once; return its family name."""
    from matplotlib import font_manager

    path = files("mplfonts") / "fonts" / "NotoSansCJKsc-Regular.otf"
    font_manager.fontManager.addfont(str(path))
    return font_manager.FontProperties(fname=str(path)).get_name()


def coverage_png(report, chinese=True):
    """PNG bytes (1200 x 800) of a report from coverage.coverage()."""
    import matplotlib

    matplotlib.use("Agg")
    import numpy as np
    from matplotlib.figure import Figure

    labels = {c["id"]: c["zh" if chinese else "en"] for c in report["categories"]}
    rows = report["rows"]
    districts = sorted({r["district"] or "?" for r in rows})
    categories = [c["id"] for c in report["categories"] if any(r["category"] == c["id"] for r in rows)]
    gap = np.zeros((len(districts), len(categories)))
    text = [["" for _ in categories] for _ in districts]
    for r in rows:
        i, j = districts.index(r["district"] or "?"), categories.index(r["category"])
        gap[i, j] = r["gap"]
        text[i][j] = f"{r['people']}/{r['demand']}"

    family = _font_family()
    figure = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI)
    axes = figure.add_subplot()
    title = ("志愿服务覆盖缺口（人数/待补岗位，颜色越深缺口越大）" if chinese
             else "Coverage gap (people / open seats; darker = larger gap)")
    axes.set_title(title, fontfamily=family)
    if districts and categories:
        image = axes.imshow(gap, cmap="Reds", aspect="auto", vmin=0, vmax=max(float(gap.max()), 1.0))
        axes.set_xticks(range(len(categories)), [labels.get(c, c) for c in categories], rotation=45, ha="right",
                        fontfamily=family, fontsize=9)
        axes.set_yticks(range(len(districts)), districts, fontfamily=family, fontsize=9)
        if len(districts) * len(categories) <= 400:
            for i in range(len(districts)):
                for j in range(len(categories)):
                    if text[i][j]:
                        axes.text(j, i, text[i][j], ha="center", va="center", fontsize=7,
                                  color="white" if gap[i, j] > gap.max() / 2 else "black")
        figure.colorbar(image, ax=axes, label="gap" if not chinese else None)
    else:
        axes.text(0.5, 0.5, "无数据" if chinese else "no data", ha="center", va="center", fontfamily=family)
        axes.set_axis_off()
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=DPI)
    return out.getvalue()
