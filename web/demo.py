"""A synthetic demo city around Chongqing: stations, people and upcoming tasks."""
import datetime as dt
import random

from faker import Faker
from sqlalchemy import func, select

from .common.personal import id_check_char
from .common.schemas import LOCAL_TZ, app_gazetteer
from .extensions import db
from .models import Station, Task, Volunteer
from .services.people import number_people
from .stations.schemas import StationSchema
from .tasks.schemas import TaskSchema
from .volunteers.schemas import VolunteerSchema

# (district, station name, kind): a few dozen stations across the city.
STATIONS = [
    ("渝中区", "解放碑街道社会工作服务站", "business_district"),
    ("渝中区", "大坪街道社工站", "community"),
    ("江北区", "观音桥商圈党群服务中心", "business_district"),
    ("江北区", "寸滩街道社工站", "community"),
    ("渝北区", "龙溪街道社工站", "community"),
    ("渝北区", "仙桃数据谷楼宇服务站", "office_building"),
    ("渝北区", "空港工业园区职工服务站", "industrial_park"),
    ("沙坪坝区", "三峡广场社工站", "business_district"),
    ("沙坪坝区", "西永微电园职工之家", "industrial_park"),
    ("九龙坡区", "杨家坪街道社工站", "community"),
    ("九龙坡区", "西彭园区外来务工人员服务站", "industrial_park"),
    ("南岸区", "南坪街道社工站", "community"),
    ("南岸区", "茶园新区楼宇服务站", "office_building"),
    ("大渡口区", "跃进村街道社工站", "community"),
    ("巴南区", "李家沱街道社工站", "community"),
    ("北碚区", "天生街道社工站", "community"),
    ("江津区", "几江街道社工站", "community"),
    ("江津区", "德感工业园职工服务站", "industrial_park"),
    ("合川区", "南津街街道社工站", "community"),
    ("永川区", "中山路街道社工站", "community"),
    ("璧山区", "璧城街道社工站", "community"),
    ("铜梁区", "巴川街道社工站", "community"),
    ("长寿区", "凤城街道社工站", "community"),
    ("涪陵区", "敦仁街道社工站", "community"),
    ("万州区", "高笋塘街道社工站", "community"),
    ("开州区", "汉丰街道社工站", "community"),
    ("梁平区", "梁山街道社工站", "community"),
    ("武隆区", "仙女山镇村社工站", "village"),
    ("綦江区", "古南街道社工站", "community"),
    ("南川区", "东城街道社工站", "community"),
    ("黔江区", "城西街道社工站", "community"),
    ("石柱土家族自治县", "南宾街道社工站", "village"),
    ("酉阳土家族苗族自治县", "桃花源街道社工站", "village"),
    ("奉节县", "永安街道社工站", "village"),
    ("云阳县", "双江街道社工站", "village"),
    ("垫江县", "桂溪街道社工站", "village"),
]

# Skills as stations write them: Chinese mostly, some English, synonyms on purpose.
SKILLS = [
    "心理疏导", "心理咨询", "心理慰藉", "counselling", "法律援助", "法律咨询", "劳动维权",
    "课业辅导", "儿童陪伴", "助老服务", "养老护理", "妇女互助", "急救", "护理", "厨艺培训",
    "烹饪", "建筑施工", "电工", "焊工", "求职指导", "招聘会服务", "电脑培训", "智能手机教学",
    "手语", "英语翻译", "translation", "书法", "舞蹈", "篮球", "宣传摄影", "活动策划", "驾驶",
    "first aid", "tutoring", "elder care",
]
CERTIFICATES = ["助理社会工作师", "社会工作师", "高级社会工作师", "心理咨询师三级", "红十字救护员证", "法律职业资格证",
                "教师资格证"]
LANGUAGES = ["普通话", "重庆话", "English", "手语"]
TASKS_PER_STATION = 4
# (title, wanted skills, required skills, target group, role, (start hour, end hour), (fewest, most) seats).
# A task for social workers asks for one or two of them: a station has about seven (see _social_worker).
TASK_TEMPLATES = [
    ("留守儿童周末课业辅导", ["课业辅导", "儿童陪伴"], [], "留守儿童", "volunteer", (9, 12), (1, 6)),
    ("独居老人心理慰藉探访", ["心理疏导", "助老服务"], [], "独居老人", "any", (14, 17), (1, 6)),
    ("外来务工人员劳动维权咨询", ["劳动维权", "法律咨询"], ["法律援助"], "外来务工人员", "social_worker", (19, 21), (1, 2)),
    ("园区厨艺技能培训", ["烹饪", "厨艺培训"], [], "外来务工人员", "volunteer", (9, 11), (1, 6)),
    ("社区招聘会现场服务", ["招聘会服务", "求职指导"], [], "求职人员", "volunteer", (9, 17), (1, 6)),
    ("妇女互助小组活动", ["妇女互助", "活动策划"], [], "妇女", "social_worker", (14, 16), (1, 2)),
    ("社区夜校智能手机教学", ["智能手机教学", "电脑培训"], [], "老年人", "volunteer", (19, 21), (1, 6)),
    ("应急救护知识普及", ["急救"], ["急救"], "居民", "any", (9, 11), (1, 6)),
]

# Every twelfth person on a station's roster is one of its social workers (about 7 a station at
# 3,000 people), each with a speciality, taken in this order: the first, third and fifth of every
# station hold legal aid, so each station's labour-rights evenings have social workers to ask.
SOCIAL_WORKER_EVERY = 12
SPECIALITIES = [
    (["法律援助", "劳动维权"], "法律职业资格证"),
    (["心理疏导", "心理咨询"], "心理咨询师三级"),
    (["法律咨询", "劳动维权"], "社会工作师"),
    (["妇女互助", "活动策划"], "社会工作师"),
    (["法律援助", "心理慰藉"], "助理社会工作师"),
    (["助老服务", "心理慰藉"], "助理社会工作师"),
    (["儿童陪伴", "counselling"], "高级社会工作师"),
]
FIRST_AIDERS = 0.2  # volunteers trained by the Red Cross (急救, with the certificate)
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")


def _slots(days, start, end):
    return [{"day": d, "start": start, "end": end} for d in days]


def _availability(rng):
    """A volunteer's weekly free slots: mostly weekends (some into the evening), office workers'
    evenings every day, some weekends plus a few weekday evenings, retirees on weekdays."""
    kind = rng.random()
    if kind < 0.40:
        return _slots(("sat", "sun"), "09:00", "18:00")
    if kind < 0.52:
        return _slots(("sat", "sun"), "09:00", "21:30")
    if kind < 0.67:
        return _slots((*WEEKDAYS, "sat", "sun"), "19:00", "21:30")
    if kind < 0.80:
        return _slots(("sat", "sun"), "09:00", "18:00") + _slots(WEEKDAYS[: rng.randint(1, 5)], "19:00", "21:30")
    days = rng.sample(WEEKDAYS, rng.randint(2, 5))
    return _slots(days, "08:30", "17:00")


def _social_worker(rng, number):
    """A station's `number`-th social worker: their speciality's skills and certificate, one or two
    more skills, and weekends from morning to evening (stations run their activities then) plus a
    weekday or two; they live near the station and travel up to 10-30 km."""
    skills, certificate = SPECIALITIES[number % len(SPECIALITIES)]
    extra = rng.sample([s for s in SKILLS if s not in skills], rng.randint(1, 2))
    weekdays = _slots(rng.sample(WEEKDAYS, rng.randint(1, 2)), "09:00", "17:30")
    return {"role": "social_worker", "skills": [*skills, *extra], "certificates": [certificate],
            "availability": _slots(("sat", "sun"), "09:00", "21:30") + weekdays,
            "max_distance_km": rng.choice([10, 15, 20, 30]), "spread_km": 1.5}


def _volunteer(rng):
    """A volunteer: one to four skills (a fifth of them Red Cross first-aiders), 3-30 km, within ~4 km of the station."""
    skills = rng.sample(SKILLS, rng.randint(1, 4))
    certificates = rng.sample(CERTIFICATES, 1) if rng.random() < 0.2 else []
    if rng.random() < FIRST_AIDERS:
        skills += [] if {"急救", "first aid"} & set(skills) else ["急救"]
        certificates += [] if "红十字救护员证" in certificates else ["红十字救护员证"]
    return {"role": "volunteer", "skills": skills, "certificates": certificates, "availability": _availability(rng),
            "max_distance_km": rng.choice([3, 5, 10, 10, 15, 20, 30]), "spread_km": 4.0}


def _id_number(rng, adcode):
    """A synthetic resident ID number with a valid GB 11643 check digit."""
    born = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randint(0, 365 * 55))
    first17 = f"{adcode}{born:%Y%m%d}{rng.randint(0, 999):03d}"
    return first17 + id_check_char(first17)


def _near(rng, lat, lon, km):
    """A point roughly `km` (Gaussian spread) around a centre."""
    return round(lat + rng.gauss(0, km / 111.0), 6), round(lon + rng.gauss(0, km / 98.0), 6)


def seed_demo(people=3000, seed=7):
    """Fill an empty database with the demo city; return counts (zeros when it was not empty)."""
    if db.session.scalar(select(func.count()).select_from(Volunteer)) or db.session.scalar(
        select(func.count()).select_from(Station)
    ):
        return {"stations": 0, "people": 0, "tasks": 0}
    rng = random.Random(seed)
    fake = Faker("zh_CN")
    fake.seed_instance(seed)
    gazetteer = app_gazetteer()

    station_schema = StationSchema()
    stations = []
    for district, name, kind in STATIONS:
        place = gazetteer.resolve("重庆市" + district)
        lat, lon = _near(rng, place.lat, place.lon, 1.0)
        data = station_schema.load({"name": name, "kind": kind, "location": {"lat": lat, "lon": lon},
                                    "address": f"重庆市{district}{name}"})
        stations.append(Station(**data))
    db.session.add_all(stations)
    db.session.flush()

    volunteer_schema = VolunteerSchema()
    phones = rng.sample(range(10**8), people)
    rows = []
    for i in range(people):
        # Rosters are dealt out station by station: `number` is the person's place on their station's.
        station, number = stations[i % len(stations)], i // len(stations)
        social = number % SOCIAL_WORKER_EVERY == 0
        person = _social_worker(rng, number // SOCIAL_WORKER_EVERY) if social else _volunteer(rng)
        lat, lon = _near(rng, station.lat, station.lon, person.pop("spread_km"))
        place = gazetteer.reverse(lat, lon) or gazetteer.resolve("重庆市" + (station.district or "渝中区"))
        data = {
            "name": fake.name(),
            "external_id": f"CQ{i + 1:06d}",
            "phone": f"1{rng.choice('3578')}{rng.randint(0, 9)}{phones[i]:08d}",
            "id_number": _id_number(rng, place.adcode) if rng.random() < 0.7 else None,
            "languages": ["普通话"] + (["English"] if rng.random() < 0.15 else []),
            "location": {"lat": lat, "lon": lon},
            "max_hours_per_week": rng.choice([None, 4, 6, 8, 10]),
            "station_id": station.id,
            "tier": "core" if rng.random() < 0.05 else "regular",
            **person,
        }
        rows.append(Volunteer(**volunteer_schema.load(data)))
    db.session.add_all(rows)
    db.session.flush()
    number_people(rows)

    task_schema = TaskSchema()
    today = dt.datetime.now(LOCAL_TZ).date()
    saturday = today + dt.timedelta(days=(5 - today.weekday()) % 7 or 7)
    tasks = []
    for i, station in enumerate(stations):
        for k in range(TASKS_PER_STATION):  # the coming two weekends: enough to plan a day in one go
            title, skills, required, group, role, (start, end), seats = TASK_TEMPLATES[(i + k) % len(TASK_TEMPLATES)]
            day = saturday + dt.timedelta(days=7 * (k // 2) + (i + k) % 2)
            data = task_schema.load({
                "station_id": station.id, "title": title, "skills": skills, "required_skills": required,
                "role": role, "target_group": group, "headcount": rng.randint(*seats),
                "starts_at": f"{day.isoformat()}T{start:02d}:00:00", "ends_at": f"{day.isoformat()}T{end:02d}:00:00",
            })
            tasks.append(Task(status="open", lat=station.lat, lon=station.lon, district=station.district, **data))
    db.session.add_all(tasks)
    db.session.commit()
    return {"stations": len(stations), "people": len(rows), "tasks": len(tasks)}
