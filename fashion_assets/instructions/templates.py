"""Instruction phrasings per task and language.

`TEMPLATE_VERSION` is a hash of these tables plus `LOGIC_VERSION` (bump that by hand when the
answer-building code changes): editing any phrasing changes it, and with it the code version of
`instruction_data`, so existing partitions show as stale in the UI.
"""

from __future__ import annotations

import hashlib
import json

import tossi

LOGIC_VERSION = 2
TASKS = (
    "attributes",
    "description",
    "season",
    "styling",
    "title_attributes",
    "shopping_request",
)
IMAGE_TASKS = frozenset({"attributes", "description", "season", "styling"})

# Korean phrasings are formatted by tossi: `{color:로}` picks 로/으로 after the word, so
# particles follow the final consonant of whatever value fills the slot.
# fmt: off
PROMPTS: dict[str, dict[str, tuple[str, ...]]] = {
    "attributes": {
        "ko": ("이 옷의 속성을 JSON으로 정리해줘.",
               "사진 속 상품의 카테고리, 색상, 디자인 같은 속성을 JSON으로 알려줘.",
               "이 이미지를 보고 상품 속성을 태깅해줘. JSON 형식으로 답해줘."),
        "en": ("List this garment's attributes as JSON.",
               "Tag the item in the photo (category, colour, design) as JSON."),
    },
    "attributes_with_facts": {
        "ko": ("상품 등록용으로 이 옷의 표준 속성을 JSON으로 뽑아줘.\n판매자 입력: {facts}",
               "판매자 정보({facts})와 사진을 보고 속성을 JSON으로 정리해줘."),
        "en": ("Extract this product's standard attributes as JSON.\nSeller's sheet: {facts}",),
    },
    "description": {
        "ko": ("이 상품을 설명해줘. (상품 정보: {facts})",
               "사진 속 옷이 어떤 옷인지 자세히 알려줘. 상품 정보: {facts}",
               "상품 정보({facts})를 참고해서 이 옷의 특징을 쇼핑몰 상세페이지처럼 소개해줘."),
        "en": ("Describe this item. (Product sheet: {facts})",
               "What kind of garment is this? Product sheet: {facts}"),
    },
    "season": {
        "ko": ("{season}에 입어도 될까? (상품 정보: {facts})",
               "이 옷 {season}에 입기 괜찮아? 상품 정보: {facts}",
               "{season} 코디로 이 옷을 입어도 되는지 이유와 함께 알려줘. (상품 정보: {facts})"),
        "en": ("Can I wear this in {season}? (Product sheet: {facts})",
               "Is this a good choice for {season}? Why? Product sheet: {facts}"),
    },
    "styling": {
        "ko": ("이 옷({facts})과 어울리는 코디를 추천해줘.",
               "이 상품({facts})이랑 같이 입을 아이템을 골라줘.",
               "상품 정보: {facts}\n이 옷으로 전체 코디를 완성하려면 뭘 같이 입으면 좋을까?"),
        "en": ("Recommend an outfit around this item ({facts}).",
               "What should I wear with this ({facts})? Pick items from the shop."),
    },
    "title_attributes": {
        "ko": ("상품명: {title}\n상품명에 나온 속성만 JSON으로 추출해줘.",
               "다음 상품명에서 알 수 있는 표준 속성을 뽑아줘: {title}"),
        "en": ("Product title: {title}\nExtract the attributes the title states, as JSON.",),
    },
    "shopping_request": {
        "ko": ("{season}에 입을 {audience} {category} 추천해줘. {color} 계열이면 좋겠어.",
               "{for_whom} {category} 찾고 있어. {season}용이고 색은 {color:로} 부탁해.",
               "{color} {category} 중에 {season}에 입기 좋은 {audience} 상품 있어?"),
        "en": ("Recommend a {color} {category} ({audience}) to wear in {season}.",
               "I'm looking for a {season} {category} for {audience_en}, ideally {color}."),
    },
}
ANSWERS: dict[str, dict[str, str]] = {
    "ko": {
        "description": "{color} {category}입니다.{details} {for_whom} {season} 상품입니다.",
        "description_fibers": " {fibers} 소재입니다.",
        "details_sleeve": " {sleeve} 디자인입니다.",
        "details_neck": " 넥라인은 {neck}입니다.",
        "details_fit": " 핏은 {fit}입니다.",
        "details_length": " 기장은 {length}입니다.",
        "season_yes": "네, {asked}에 입기 좋습니다. {reasons}",
        "season_no": "{asked}에는 추천하지 않아요. 이 상품은 {season}용입니다. {reasons}",
        "reason_fleece": "기모 안감이 있어 따뜻합니다.",
        "reason_warm_fiber": "{fiber} 소재라 보온성이 좋습니다.",
        "reason_light_fiber": "{fiber} 소재라 통기성이 좋고 가볍습니다.",
        "reason_sleeve": "{sleeve} 디자인입니다.",
        "styling_intro": "{item}에는 이렇게 코디해 보세요:",
        "styling_line": "- {title} ({item_id}): {category}, {color}. {why}",
        "why_neutral": "무채색이라 어떤 색과도 잘 어울립니다.",
        "why_pair": "{a:와} {b:는} 잘 어울리는 색 조합입니다.",
        "why_same": "같은 색으로 톤온톤 코디가 됩니다.",
        "styling_outro": "모두 {season}용이라 계절감도 맞습니다.",
        "shopping_intro": "조건에 맞는 상품을 골랐어요:",
        "shopping_line": "- {title} ({item_id})",
    },
    "en": {
        "description": "A {color} {category}.{details} A {audience} {season} piece.",
        "description_fibers": " Made of {fibers}.",
        "details_sleeve": " It has {sleeve}.",
        "details_neck": " The neckline is {neck}.",
        "details_fit": " The fit is {fit}.",
        "details_length": " The length is {length}.",
        "season_yes": "Yes, it suits {asked}. {reasons}",
        "season_no": "Not for {asked}: this item is made for {season}. {reasons}",
        "reason_fleece": "It is fleece-lined, so it is warm.",
        "reason_warm_fiber": "{fiber} keeps you warm.",
        "reason_light_fiber": "{fiber} is light and breathable.",
        "reason_sleeve": "It has {sleeve}.",
        "styling_intro": "Try this with the {item}:",
        "styling_line": "- {title} ({item_id}): {category}, {color}. {why}",
        "why_neutral": "A neutral colour goes with anything.",
        "why_pair": "{a} and {b} are a good colour pair.",
        "why_same": "Same colour, a tone-on-tone look.",
        "styling_outro": "All of them are {season} pieces, so the season matches.",
        "shopping_intro": "Here are items that match:",
        "shopping_line": "- {title} ({item_id})",
    },
}
# fmt: on


def render(template: str, language: str, **fields: object) -> str:
    """Fill a phrasing: Korean through tossi (particles chosen by the word before them)."""
    return tossi.format(template, **fields) if language == "ko" else template.format(**fields)


def template_version(prompts: object, answers: object, logic: int = LOGIC_VERSION) -> str:
    """'<logic>-<hash of the tables>': changes whenever a phrasing or the logic version does."""
    blob = json.dumps([prompts, answers], sort_keys=True, ensure_ascii=False).encode()
    return f"{logic}-{hashlib.sha256(blob).hexdigest()[:10]}"


TEMPLATE_VERSION = template_version(PROMPTS, ANSWERS)
