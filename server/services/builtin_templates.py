"""The checklists every school starts with, drawn from what logistics offices check on paper today
(../shared/domain.md). Data only; server.services.templates installs them."""
from __future__ import annotations


def _item(key: str, kind: str, text: str, text_en: str, **rules) -> dict:
    item = {"key": key, "kind": kind, "text": text, "text_en": text_en, "hazard": False,
            "photo_on_fail": False, "note_on_fail": False, "creates_action": kind != "deduction"}
    item.update(rules)
    return item


def _check(key: str, text: str, text_en: str, **rules) -> dict:
    return _item(key, "pass_fail", text, text_en, **rules)


def _deduct(key: str, text: str, text_en: str, points: float, **rules) -> dict:
    return _item(key, "deduction", text, text_en, points=points, **rules)


HAZARD = {"hazard": True, "photo_on_fail": True, "creates_action": True}

FOUR_PREVENTIONS = {
    "family": "canteen_four_preventions", "name": "食堂四防检查", "name_en": "Canteen four preventions",
    "category": "canteen", "room_kinds": ["canteen_zone"], "asset_categories": [], "scoring": "pass_rate",
    "max_score": 100, "deadline_hours": 24,
    "items": [
        _check("rodent_signs", "防鼠:无鼠粪、咬痕等鼠迹", "Rodents: no droppings or gnaw marks", **HAZARD),
        _check("door_gaps", "防鼠:门下缝隙不超过6毫米,挡鼠板完好", "Rodents: door gaps under 6 mm, rat guards intact"),
        _check("drain_covers", "防鼠:下水道口有防鼠网盖", "Rodents: drain covers in place"),
        _check("bait_stations", "防鼠:粘鼠板、鼠饵站在位", "Rodents: bait stations in place"),
        _check("screens", "防蚊蝇:纱门纱窗完好", "Flies: screens on doors and windows intact"),
        _check("fly_lamps", "防蚊蝇:灭蝇灯正常工作", "Flies: fly lamps working"),
        _check("bins_covered", "防蚊蝇:垃圾桶加盖", "Flies: bins covered"),
        _check("insects", "防虫:无蟑螂等虫害", "Insects: no cockroaches or other pests", **HAZARD),
        _check("food_covered", "防尘:食品、餐具加盖存放", "Dust: food and utensils covered", **HAZARD),
        _check("surfaces_clean", "防尘:台面、地面清洁", "Dust: surfaces and floor clean"),
    ],
}

FOOD_SAFETY = {
    "family": "food_safety_daily", "name": "食品安全日检", "name_en": "Daily food safety check",
    "category": "food_safety", "room_kinds": ["canteen_zone"], "asset_categories": [], "scoring": "pass_rate",
    "max_score": 100, "deadline_hours": 24,
    "items": [
        _check("purchase", "采购关:索证索票,供应商资质齐全", "Purchase: invoices and supplier licences on file"),
        _check("transport", "运输关:专车运输,生熟分开", "Transport: dedicated vehicle, raw and cooked apart"),
        _check("goods_in", "入库关:验收登记完整", "Goods-in: inspection and register complete"),
        _check("storage", "贮存关:离地离墙,生熟分开", "Storage: off floor and wall, raw and cooked apart",
               **HAZARD),
        _check("issue", "出库关:先进先出,过期食品不出库", "Issue: first in first out, nothing expired"),
        _check("processing", "加工关:蔬菜清洗浸泡、焯水", "Processing: vegetables washed, soaked, blanched"),
        _check("cooking", "烹饪关:烧熟煮透", "Cooking: cooked through", **HAZARD),
        _item("sample_grams", "number", "留样关:每份留样重量", "Samples: grams kept per dish", unit="g", min=125,
              **HAZARD),
        _item("sample_hours", "number", "留样关:留样保存时间", "Samples: hours kept", unit="h", min=48, **HAZARD),
        _item("fridge_temp", "number", "冷藏温度", "Fridge temperature", unit="℃", min=0, max=8,
              photo_on_fail=True),
        _item("tableware", "choice", "餐具消毒", "Tableware disinfected", options=[
            {"key": "heat", "text": "高温消毒", "text_en": "Heat", "fail": False},
            {"key": "chlorine", "text": "84消毒液", "text_en": "84 disinfectant", "fail": False},
            {"key": "none", "text": "未消毒", "text_en": "Not disinfected", "fail": True},
        ], **HAZARD),
        _check("uniform", "从业人员穿衣戴帽", "Staff wear uniform and cap"),
        _check("health_certificates", "从业人员健康证齐全有效", "Staff health certificates valid", hazard=True,
               note_on_fail=True),
        _check("accompany", "陪餐关:领导陪餐并记录", "A leader ate with the students and signed"),
        _item("accompany_by", "text", "陪餐人", "Who ate with the students", required=False),
    ],
}

DORM_HYGIENE = {
    "family": "dorm_hygiene", "name": "宿舍内务评分", "name_en": "Dorm hygiene score",
    "category": "dorm", "room_kinds": ["dorm"], "asset_categories": [], "scoring": "deduction",
    "max_score": 100, "deadline_hours": 48,
    "items": [
        _deduct("quilt", "被子叠成豆腐块", "Quilts folded square", 15),
        _deduct("line", "杯子、毛巾、牙具、脸盆、鞋子摆放一条线",
                "Cups, towels, toothbrushes, basins, shoes in a line", 15),
        _deduct("floor", "地面洁净干燥", "Floor clean and dry", 15),
        _deduct("clutter", "无杂物", "No clutter", 10),
        _deduct("water", "无积水", "No standing water", 10),
        _deduct("tidy", "物品摆放划一", "Belongings arranged uniformly", 10),
        _deduct("appliances", "无违章用电", "No illegal appliances", 15, **HAZARD),
        _deduct("leaks", "无漏水", "No leaks", 5, hazard=True, creates_action=True),
        _deduct("furniture", "床铺、家具完好(损坏需赔偿)", "Beds and furniture intact (damage is compensated)", 5,
                creates_action=True, note_on_fail=True),
        # A count for the register, not a judgement: left blank when the inspector has no time to count.
        _item("empty_beds", "number", "空床位数", "Empty beds", unit="张", min=0, max=8, creates_action=False,
              required=False),
        _check("stranger", "未发现陌生人", "No strangers found", hazard=True, note_on_fail=True),
    ],
}

FIRE_SAFETY = {
    "family": "fire_safety", "name": "消防安全巡查", "name_en": "Fire safety round",
    "category": "fire", "room_kinds": [], "asset_categories": ["灭火器"], "scoring": "pass_rate",
    "max_score": 100, "deadline_hours": 24,
    "items": [
        _check("extinguisher_pressure", "灭火器压力指针在绿区", "Extinguisher gauge in the green", **HAZARD),
        _check("extinguisher_expiry", "灭火器在有效期内", "Extinguisher not expired", hazard=True),
        _check("exits_clear", "安全出口、疏散通道畅通", "Exits and escape routes clear", **HAZARD),
        _check("fire_doors", "防火门常闭、完好", "Fire doors closed and intact"),
        _check("emergency_lights", "应急照明、疏散指示灯正常", "Emergency lights and exit signs working"),
        _check("wiring", "无电线老化、私拉乱接", "No aging or improvised wiring", **HAZARD),
        _item("remarks", "text", "其他情况", "Other findings", required=False),
    ],
}

FACILITY = {
    "family": "facility_round", "name": "设施巡查", "name_en": "Facility round",
    "category": "facility", "room_kinds": [], "asset_categories": [], "scoring": "pass_rate",
    "max_score": 100, "deadline_hours": 72,
    "items": [
        _check("drains", "地沟管道畅通、无渗漏", "Drains and pipes clear, no leaks", photo_on_fail=True),
        _check("lamps", "路灯、照明正常", "Street lamps and lighting working"),
        _check("heating", "暖气运行正常(入冬前排查)", "Heating working (checked before winter)"),
        _check("doors_windows", "门窗完好", "Doors and windows intact"),
        _item("damage", "text", "损坏情况", "Damage found", required=False),
        _item("overview_photo", "photo", "现场照片", "Photo of the site", required=False),
    ],
}

BUILTIN_TEMPLATES = [FOUR_PREVENTIONS, FOOD_SAFETY, DORM_HYGIENE, FIRE_SAFETY, FACILITY]
