"""Column headers in Chinese or English -> the API's field names."""
import re
import unicodedata

# Field -> the headers older systems use for it (compared after normalise_header).
ALIASES = {
    "name": ["姓名", "名字", "志愿者姓名", "name", "full name", "fullname"],
    "phone": ["手机", "手机号", "手机号码", "联系电话", "电话", "联系方式",
              "mobile", "phone", "phone number", "tel", "telephone"],
    "id_number": ["身份证号", "身份证", "身份证号码", "证件号码", "证件号", "公民身份号码",
                  "id number", "id_number", "id card", "idcard"],
    "external_id": ["志愿者编号", "编号", "志愿者号", "志愿者证号",
                    "external id", "external_id", "volunteer id", "volunteer no", "id"],
    "skills": ["技能", "特长", "专业技能", "个人特长", "技能特长", "服务技能", "服务类别", "服务意向",
               "skills", "skill", "specialty"],
    "address": ["地址", "居住地址", "家庭住址", "住址", "服务区域", "所在地", "居住地", "现居住地",
                "address", "home address", "area"],
    "lat": ["纬度", "lat", "latitude"],
    "lon": ["经度", "lon", "lng", "longitude"],
    "availability": ["服务时间", "空闲时间", "可服务时间", "志愿服务时间", "availability", "free time", "available"],
    "station": ["所属服务站", "服务站", "所属站点", "站点", "station", "station id", "station_id"],
    "languages": ["语言", "掌握语言", "languages", "language"],
    "certificates": ["证书", "资格证", "资格证书", "职业资格", "certificates", "certificate", "qualifications"],
    "role": ["身份", "人员类型", "类型", "role", "type"],
    "max_distance_km": ["服务半径", "服务距离", "可服务距离", "max distance", "max_distance_km", "radius"],
    "tier": ["级别", "骨干", "tier"],
    "max_hours_per_week": ["每周可服务小时", "每周时长", "max hours per week", "max_hours_per_week"],
}
_PUNCT = re.compile(r"[\s_\-:：()（）*＊/]+")


def normalise_header(text):
    """NFKC, case-folded, without spaces or punctuation: '手机号（必填）' and 'Phone Number' compare cleanly."""
    return _PUNCT.sub(" ", unicodedata.normalize("NFKC", str(text or ""))).strip().casefold().replace("必填", "").strip()


_LOOKUP = {normalise_header(alias): field for field, aliases in ALIASES.items() for alias in aliases}


def map_headers(headers, mapping=None):
    """Return ({column index: field}, [unknown headers]); a mapping {header: field} wins over the aliases."""
    override = {normalise_header(k): v for k, v in (mapping or {}).items()}
    columns, unknown = {}, []
    for i, header in enumerate(headers):
        key = normalise_header(header)
        field = override.get(key) or _LOOKUP.get(key) or _LOOKUP.get(key.replace(" ", ""))
        if field and field not in columns.values():
            columns[i] = field
        elif header not in (None, ""):
            unknown.append(str(header))
    return columns, unknown
