"""Skill categories of the shipped vocabulary (a light module: reports need no scikit-learn)."""
from __future__ import annotations

# The vocabulary's skill categories, with their names (for reports), in a stable display order.
CATEGORIES: dict[str, tuple[str, str]] = {
    "psychosocial": ("心理社会支持", "psychosocial support"),
    "children": ("儿童服务", "children"),
    "elderly": ("为老服务", "elderly care"),
    "women": ("妇女服务", "women"),
    "disability": ("助残服务", "disability"),
    "legal": ("法律援助", "legal aid"),
    "employment": ("就业服务", "employment"),
    "vocational": ("技能培训", "vocational skills"),
    "digital": ("数字技能", "digital skills"),
    "health": ("医疗健康", "health"),
    "community": ("社区服务", "community"),
    "organising": ("组织策划", "organising"),
    "communication": ("语言沟通", "communication"),
    "publicity": ("宣传设计", "publicity"),
    "culture_sports": ("文体活动", "culture and sports"),
    "transport": ("交通出行", "transport"),
}
