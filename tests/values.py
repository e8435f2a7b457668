"""Values for tests of bad input."""


def nested(value: object, depth: int) -> object:
    """``value`` inside ``depth`` lists, one in the other: JSON or YAML nested absurdly deep."""
    for _ in range(depth):
        value = [value]
    return value
