"""Tests for matcher.gazetteer: free text and points to China's county-level divisions."""

import math
import threading

import pytest

from matcher.gazetteer import Gazetteer, Place, PlaceNotFound, default_gazetteer, short_name

# Chongqing's 38 county-level divisions (26 districts, 8 counties, 4 autonomous counties),
# as in the shipped table.
CHONGQING = [
    ("500101", "万州区"), ("500102", "涪陵区"), ("500103", "渝中区"), ("500104", "大渡口区"),
    ("500105", "江北区"), ("500106", "沙坪坝区"), ("500107", "九龙坡区"), ("500108", "南岸区"),
    ("500109", "北碚区"), ("500110", "綦江区"), ("500111", "大足区"), ("500112", "渝北区"),
    ("500113", "巴南区"), ("500114", "黔江区"), ("500115", "长寿区"), ("500116", "江津区"),
    ("500117", "合川区"), ("500118", "永川区"), ("500119", "南川区"), ("500120", "璧山区"),
    ("500151", "铜梁区"), ("500152", "潼南区"), ("500153", "荣昌区"), ("500154", "开州区"),
    ("500155", "梁平区"), ("500156", "武隆区"),
    ("500229", "城口县"), ("500230", "丰都县"), ("500231", "垫江县"), ("500233", "忠县"),
    ("500235", "云阳县"), ("500236", "奉节县"), ("500237", "巫山县"), ("500238", "巫溪县"),
    ("500240", "石柱土家族自治县"), ("500241", "秀山土家族苗族自治县"),
    ("500242", "酉阳土家族苗族自治县"), ("500243", "彭水苗族土家族自治县"),
]

# (text, adcode, lat, lon of the division's seat, hard-coded from general knowledge).
ELSEWHERE = [
    ("北京市朝阳区", "110105", 39.92, 116.44),
    ("天津市和平区", "120101", 39.12, 117.20),
    ("上海市浦东新区", "310115", 31.22, 121.54),
    ("广东省深圳市南山区", "440305", 22.53, 113.93),
    ("广州市天河区", "440106", 23.12, 113.36),
    ("四川省成都市武侯区", "510107", 30.64, 104.04),
    ("杭州市西湖区", "330106", 30.26, 120.13),
    ("南京市玄武区", "320102", 32.05, 118.80),
    ("武汉市武昌区", "420106", 30.55, 114.32),
    ("西安市雁塔区", "610113", 34.22, 108.95),
    ("长沙市岳麓区", "430104", 28.23, 112.93),
    ("昆明市五华区", "530102", 25.04, 102.70),
    ("贵州省贵阳市南明区", "520102", 26.57, 106.71),
    ("吉林省长春市朝阳区", "220104", 43.83, 125.29),
    ("哈尔滨市道里区", "230102", 45.76, 126.62),
    ("乌鲁木齐市天山区", "650102", 43.79, 87.63),
    ("拉萨市城关区", "540102", 29.65, 91.13),
    ("海口市秀英区", "460105", 20.01, 110.29),
    ("浙江省宁波市江北区", "330205", 29.89, 121.56),
    ("青岛市市南区", "370202", 36.07, 120.40),
    ("湖北省仙桃市", "429004", 30.36, 113.45),
    ("香港特别行政区湾仔区", "810107", 22.28, 114.18),
]

CHINA_BBOX = (3.0, 54.0, 73.0, 136.0)  # lat_min, lat_max, lon_min, lon_max (incl. 南沙)


@pytest.fixture(scope="module")
def gazetteer():
    """The shared gazetteer over the shipped table (Chongqing as default province)."""
    return default_gazetteer()


def assert_in_chongqing(place):
    """Check the place's point lies in Chongqing's bounding box."""
    assert 28.1 <= place.lat <= 32.3 and 105.2 <= place.lon <= 110.2, place


@pytest.mark.parametrize("adcode, name", CHONGQING)
def test_chongqing_division_by_full_name(gazetteer, adcode, name):
    """Every Chongqing division resolves by its bare full name, inside Chongqing."""
    place = gazetteer.resolve(name)
    assert place.adcode == adcode and place.name == name
    assert place.city == place.province == "重庆市"
    assert_in_chongqing(place)
    assert gazetteer.reverse(place.lat, place.lon).adcode == adcode


@pytest.mark.parametrize("adcode, name", CHONGQING)
def test_chongqing_division_with_city_prefix(gazetteer, adcode, name):
    """Every Chongqing division resolves when written as 重庆市 + name, as in addresses."""
    place = gazetteer.resolve("重庆市" + name)
    assert place.adcode == adcode
    assert_in_chongqing(place)
    assert gazetteer.reverse(place.lat, place.lon) == place


def test_chongqing_list_is_complete(gazetteer):
    """The hard-coded list is exactly the table's Chongqing rows."""
    assert [(p.adcode, p.name) for p in gazetteer if p.adcode.startswith("50")] == CHONGQING


@pytest.mark.parametrize("text, adcode", [
    ("梁平县", "500155"), ("武隆县", "500156"), ("开县", "500154"), ("铜梁县", "500151"),
    ("璧山县", "500120"), ("荣昌县", "500153"), ("潼南县", "500152"), ("大足县", "500111"),
    ("綦江县", "500110"), ("万盛区", "500110"), ("双桥区", "500111"), ("江北县", "500112"),
    ("巴县", "500113"), ("万县", "500101"), ("江津市", "500116"), ("黔江土家族苗族自治县", "500114"),
    ("重庆市开县汉丰街道", "500154"), ("四川省重庆市万县", "500101"),
])
def test_chongqing_historical_names(gazetteer, text, adcode):
    """Former Chongqing names (counties turned districts, merged districts) resolve to today's."""
    assert gazetteer.resolve(text).adcode == adcode


@pytest.mark.parametrize("text, adcode", [
    ("石柱县", "500240"), ("石柱", "500240"), ("重庆市石柱县", "500240"),
    ("酉阳县", "500242"), ("酉阳", "500242"), ("秀山县", "500241"), ("彭水县", "500243"),
    ("长阳县", "420528"), ("互助县", "630223"), ("莫力达瓦旗", "150722"),
])
def test_autonomous_county_short_forms(gazetteer, text, adcode):
    """Short forms of autonomous counties resolve like the full names."""
    assert gazetteer.resolve(text).adcode == adcode


@pytest.mark.parametrize("text, adcode", [
    ("密云县", "110118"), ("崇文区", "110101"), ("蓟县", "120119"), ("塘沽区", "120116"),
    ("闸北区", "310106"), ("南汇区", "310115"), ("郫县", "510117"), ("四川省双流县", "510116"),
    ("莱芜市", "370116"), ("胶南市", "370211"), ("户县", "610118"), ("绍兴县", "330603"),
    ("江干区", "330102"), ("番禺市", "440113"), ("承德市双桥区", "130802"),
])
def test_historical_names_elsewhere(gazetteer, text, adcode):
    """Well-known renames elsewhere in China resolve to today's divisions."""
    assert gazetteer.resolve(text).adcode == adcode


@pytest.mark.parametrize("text, adcode", [
    ("重庆市渝北区龙溪街道", "500112"),
    ("渝北区", "500112"),
    ("梁平县", "500155"),
    ("武隆县", "500156"),
    ("石柱县", "500240"),
    ("浙江省宁波市江北区", "330205"),
    ("宁波江北区", "330205"),
    ("江北区", "500105"),
    ("北京市朝阳区", "110105"),
    ("吉林省长春市朝阳区", "220104"),
    ("广东省深圳市南山区", "440305"),
    ("东莞市", "441900"),
    ("东莞", "441900"),
    ("广东省中山市石岐街道", "442000"),
    ("嘉峪关市", "620200"),
    ("儋州市", "460400"),
    ("上海市浦东新区", "310115"),
    ("天津市河北区", "120105"),
    ("青岛市南区", "370202"),
    ("澳门", "820000"),
    ("重庆市 渝北区", "500112"),
    ("重庆市\u3000渝北区", "500112"),  # ideographic space
    ("ＣＱ重庆市渝北区１号", "500112"),  # full-width forms, folded by NFKC
    ("重庆市主城区渝北区", "500112"),
    ("渝北区黄山大道", "500112"),  # 黄山 (a city) in a street name does not derail it
    ("上海市黄浦区南京东路", "310101"),
])
def test_examples(gazetteer, text, adcode):
    """Addresses and names from the brief and from real-world forms resolve correctly."""
    assert gazetteer.resolve(text).adcode == adcode


@pytest.mark.parametrize("text, adcode, lat, lon", ELSEWHERE)
def test_other_provinces(gazetteer, text, adcode, lat, lon):
    """A sample of divisions across China: right row, point near the seat, reverse round-trip."""
    place = gazetteer.resolve(text)
    assert place.adcode == adcode
    assert abs(place.lat - lat) <= 1.5 and abs(place.lon - lon) <= 1.5
    assert gazetteer.reverse(place.lat, place.lon) == place
    assert gazetteer.reverse(lat, lon).adcode[:2] == adcode[:2]  # the seat is in the province


def test_table_has_no_gaps(gazetteer):
    """Every row has a finite point inside China, adcodes are unique 6-digit codes."""
    places = list(gazetteer)
    assert len(places) == len(gazetteer) >= 2890
    assert len({p.adcode for p in places}) == len(places)
    lat_min, lat_max, lon_min, lon_max = CHINA_BBOX
    for place in places:
        assert len(place.adcode) == 6 and place.adcode.isdigit(), place
        assert place.name and place.city and place.province, place
        assert math.isfinite(place.lat) and math.isfinite(place.lon), place
        assert lat_min <= place.lat <= lat_max and lon_min <= place.lon <= lon_max, place


def test_every_point_reverse_geocodes_to_its_row(gazetteer):
    """Each row's point lies in its own polygon (and no other), so reverse round-trips."""
    mismatches = [p for p in gazetteer if gazetteer.reverse(p.lat, p.lon) != p]
    assert mismatches == []


def test_every_row_resolves_with_its_parents():
    """Province + city + name resolves to the row itself for all rows, without a default."""
    gazetteer = Gazetteer(default_province=None)
    for place in gazetteer:
        parents = place.city if place.city == place.province else place.province + place.city
        assert gazetteer.resolve(parents + place.name) == place


def test_ambiguous_name_without_default_province():
    """With no default province a shared name is ambiguous, and the message says how to fix it."""
    gazetteer = Gazetteer(default_province=None)
    with pytest.raises(PlaceNotFound) as error:
        gazetteer.resolve("江北区")
    message = str(error.value)
    assert message.startswith("ambiguous: 江北区 could be ")
    assert "重庆市江北区" in message and "宁波市江北区" in message and message.endswith("add the city")


@pytest.mark.parametrize("text", ["朝阳区", "鼓楼区", "重庆市市中区", "城区"])
def test_ambiguous_outside_default_province(gazetteer, text):
    """Shared names with no candidate in the default province stay ambiguous."""
    with pytest.raises(PlaceNotFound, match="^ambiguous: "):
        gazetteer.resolve(text)


def test_several_divisions_in_one_text(gazetteer):
    """Two different districts of the default province in one text are ambiguous."""
    with pytest.raises(PlaceNotFound, match="names several divisions"):
        gazetteer.resolve("重庆市渝北区江北区")


def test_default_province_can_be_changed():
    """Another deployment region breaks ties its own way."""
    assert Gazetteer(default_province="330000").resolve("江北区").adcode == "330205"


@pytest.mark.parametrize("text", ["Chongqing", "", "   ", "!!!", "12345", "龙溪街道", "hello 世界"])
def test_not_found(gazetteer, text):
    """Text naming nothing known raises PlaceNotFound saying no division was found."""
    with pytest.raises(PlaceNotFound, match="^no county-level division found in "):
        gazetteer.resolve(text)


@pytest.mark.parametrize("text", ["重庆市", "重庆", "成都市", "四川省", "四川省成都市", "香港", "重庆主城区", "重庆中山路"])
def test_too_vague(gazetteer, text):
    """A province or a city with districts, but no district, is too vague."""
    with pytest.raises(PlaceNotFound, match="too vague.*name the district or county"):
        gazetteer.resolve(text)


def test_place_not_found_is_a_value_error(gazetteer):
    """Callers may catch PlaceNotFound as ValueError."""
    with pytest.raises(ValueError):
        gazetteer.resolve("Chongqing")


def test_reverse_outside_china(gazetteer):
    """Points outside China (or not numbers) have no division."""
    assert gazetteer.reverse(35.68, 139.69) is None  # Tokyo
    assert gazetteer.reverse(0.0, 0.0) is None
    assert gazetteer.reverse(float("nan"), 106.5) is None


def test_reverse_known_points(gazetteer):
    """A few known points: 龙溪街道 in 渝北区, 湾仔 in Hong Kong, 台北."""
    assert gazetteer.reverse(29.5935, 106.5289).adcode == "500112"
    assert gazetteer.reverse(22.28, 114.17).adcode.startswith("81")
    assert gazetteer.reverse(25.04, 121.56).name == "台北市"


def test_reverse_lazy_init_is_thread_safe():
    """Concurrent first calls on a fresh gazetteer all get the same, correct answer."""
    gazetteer = Gazetteer()
    results = []
    threads = [
        threading.Thread(target=lambda: results.append(gazetteer.reverse(29.5935, 106.5289)))
        for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [p.adcode for p in results] == ["500112"] * 8


def test_by_adcode(gazetteer):
    """Rows are found by adcode; unknown adcodes raise PlaceNotFound."""
    place = gazetteer.by_adcode("500112")
    assert (place.name, place.district, place.city, place.province) == ("渝北区", "渝北区", "重庆市", "重庆市")
    with pytest.raises(PlaceNotFound, match="999999"):
        gazetteer.by_adcode("999999")


def test_default_gazetteer_is_cached():
    """default_gazetteer returns one shared instance."""
    assert default_gazetteer() is default_gazetteer()


def test_custom_rows_and_aliases():
    """A gazetteer over custom rows uses only those rows and the given aliases."""
    rows = [
        Place("500112", "渝北区", "重庆市", "重庆市", 29.85, 106.79),
        Place("330205", "江北区", "宁波市", "浙江省", 29.89, 121.55),
    ]
    gazetteer = Gazetteer(rows, default_province=None, aliases={"500112": ["江北县"]})
    assert len(gazetteer) == 2
    assert gazetteer.resolve("江北县").adcode == "500112"
    assert gazetteer.resolve("江北区").adcode == "330205"
    with pytest.raises(PlaceNotFound):
        gazetteer.resolve("重庆市沙坪坝区")


@pytest.mark.parametrize("name, short", [
    ("四川省", "四川"), ("重庆市", "重庆"), ("广西壮族自治区", "广西"), ("内蒙古自治区", "内蒙古"),
    ("新疆维吾尔自治区", "新疆"), ("香港特别行政区", "香港"), ("恩施土家族苗族自治州", "恩施"),
    ("石柱土家族自治县", "石柱县"), ("彭水苗族土家族自治县", "彭水县"), ("锡林郭勒盟", "锡林郭勒"),
    ("塔什库尔干塔吉克自治县", "塔什库尔干县"), ("鄂伦春自治旗", None), ("渝北区", None),
])
def test_short_name(name, short):
    """Short forms drop the administrative suffix and minority names, keeping two characters."""
    assert short_name(name) == short


def test_many_distinct_texts(gazetteer):
    """10,000 distinct address-like strings resolve (each scan is cheap; no timing asserted)."""
    places = list(gazetteer)
    texts = []
    for i in range(10_000):
        place = places[i % len(places)]
        parents = place.city if place.city == place.province else place.province + place.city
        texts.append((f"{parents}{place.name}幸福路{i}号", place))
    resolved = [gazetteer.resolve(text) for text, _ in texts]
    assert resolved == [place for _, place in texts]
    assert gazetteer.resolve("重庆市渝北区幸福路9999号").adcode == "500112"
