"""Seeded generator of object-counting questions in BIG-Bench Hard's format, with exact answers."""

from __future__ import annotations

import random

CATEGORIES: dict[str, list[str]] = {
    "musical instruments": [
        "piano",
        "flute",
        "trombone",
        "violin",
        "drum",
        "clarinet",
        "accordion",
        "trumpet",
    ],
    "fruits": [
        "apple",
        "banana",
        "peach",
        "plum",
        "strawberry",
        "grape",
        "orange",
        "nectarine",
        "raspberry",
        "blackberry",
    ],
    "vegetables": [
        "carrot",
        "potato",
        "onion",
        "yam",
        "cabbage",
        "stalk of celery",
        "head of broccoli",
        "lettuce head",
        "garlic",
        "cauliflower",
    ],
    "animals": [
        "cat",
        "dog",
        "rabbit",
        "goat",
        "cow",
        "pig",
        "duck",
        "snail",
        "frog",
        "mouse",
        "chicken",
        "fish",
        "donkey",
        "snake",
        "bear",
    ],
    "objects": [
        "chair",
        "table",
        "bed",
        "lamp",
        "couch",
        "microwave",
        "toaster",
        "oven",
        "stove",
        "car",
        "fridge",
    ],
}
_NUMBER_WORDS = ["a", "two", "three", "four", "five"]


def _plural(item: str) -> str:
    head, sep, rest = item.partition(" of ")
    if sep:
        return _plural(head) + sep + rest
    if item.endswith(("sh", "ch", "s", "x")) or item.endswith("potato"):
        return item + "es"
    if item.endswith("y") and item[-2] not in "aeiou":
        return item[:-1] + "ies"
    if item == "mouse":
        return "mice"
    if item in ("fish",):
        return item
    return item + "s"


def _phrase(count: int, item: str) -> str:
    if count == 1:
        article = "an" if item[0] in "aeiou" else "a"
        return f"{article} {item}"
    return f"{_NUMBER_WORDS[count - 1]} {_plural(item)}"


def generate_object_counting(n: int, seed: int = 0) -> list[dict[str, str]]:
    """``n`` questions ``{"input", "target"}`` like BBH object counting, reproducible by seed.

    Example:
        >>> ex = generate_object_counting(1, seed=1)[0]
        >>> ex["input"].startswith("I have") and ex["target"].isdigit()
        True
    """
    rng = random.Random(seed)
    examples = []
    names = list(CATEGORIES)
    for _ in range(n):
        category = rng.choice(names)
        wanted = rng.sample(CATEGORIES[category], rng.randint(2, 5))
        distractor_pool = [i for c in names if c != category for i in CATEGORIES[c]]
        distractors = rng.sample(distractor_pool, rng.randint(0, 3))
        counted = [(rng.choice([1, 1, 1, 2, 3]), item) for item in wanted]
        items = counted + [(rng.choice([1, 2]), item) for item in distractors]
        rng.shuffle(items)
        phrases = [_phrase(c, i) for c, i in items]
        listing = (
            ", ".join(phrases[:-1]) + ", and " + phrases[-1] if len(phrases) > 1 else phrases[0]
        )
        total = sum(c for c, _ in counted)
        examples.append(
            {"input": f"I have {listing}. How many {category} do I have?", "target": str(total)}
        )
    return examples
