"""The demo brand's catalogue (a pet-food seller), shared by seed_demo and the platform sandbox."""

from decimal import Decimal


def ean13(body12: str) -> str:
    digits = [int(c) for c in body12]
    check = (10 - (sum(digits[0::2]) + 3 * sum(digits[1::2])) % 10) % 10
    return body12 + str(check)


# code, name, weight in grams, price in yuan
_ITEMS = [
    ("CAT-DRY-1K5", "鲜肉全价猫粮 1.5kg", 1600, "89.00"),
    ("CAT-DRY-5K", "鲜肉全价猫粮 5kg", 5200, "259.00"),
    ("CAT-KIT-1K", "幼猫奶糕粮 1kg", 1100, "69.00"),
    ("CAT-WET-85", "金枪鱼猫湿粮罐头 85g", 100, "6.50"),
    ("CAT-WET-85X24", "金枪鱼猫湿粮罐头 85g×24", 2400, "139.00"),
    ("CAT-FD-CHK", "冻干鸡胸肉猫零食 100g", 120, "39.90"),
    ("CAT-LTR-TOFU", "原味豆腐猫砂 6L", 2600, "35.00"),
    ("CAT-STRIP-SAL", "三文鱼猫条 15g×20", 330, "29.90"),
    ("DOG-DRY-2K", "牛肉全价成犬粮 2kg", 2100, "119.00"),
    ("DOG-DRY-10K", "牛肉全价成犬粮 10kg", 10300, "469.00"),
    ("DOG-PUP-1K5", "羊奶幼犬粮 1.5kg", 1600, "99.00"),
    ("DOG-JERKY-BF", "风干牛肉粒狗零食 200g", 230, "45.00"),
    ("DOG-DENT-M", "洁齿骨 中型犬 7支", 260, "32.00"),
    ("DOG-WET-CHK", "鸡肉狗湿粮餐盒 100g", 110, "7.90"),
    ("SUP-PROBIO", "宠物益生菌 1g×30", 60, "79.00"),
    ("SUP-FISHOIL", "深海鱼油软胶囊 120粒", 150, "88.00"),
    ("ZP-2026-01", "智能宠物饮水机 2.5L", 1300, "299.00"),
    ("FP-001", "智能饮水机滤芯", 80, "19.90"),
    ("ACC-BOWL-CER", "陶瓷防打翻宠物碗", 700, "49.00"),
    ("ACC-SCOOP", "加厚猫砂铲", 200, "15.90"),
]

CATALOGUE = [
    {
        "code": code,
        "name": name,
        "weight_g": weight,
        "price": Decimal(price),
        "barcode": ean13(f"69{index:02d}2026{index:04d}"),
    }
    for index, (code, name, weight, price) in enumerate(_ITEMS, start=11)
]

# SKUs a buyer actually orders (the gift refill is added by a rule, not bought on its own in the demo).
SELLABLE_CODES = [item["code"] for item in CATALOGUE if item["code"] != "FP-001"]
