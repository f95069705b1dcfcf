"""Masking of NIK and No KK for display (spec §9)."""


def mask_id(value: str | None) -> str:
    """`6171040101010001` -> `6171••••••••0001`: the first four and last four digits stay."""
    if not value:
        return ""
    if len(value) < 8:
        return "•" * len(value)
    return value[:4] + "•" * (len(value) - 8) + value[-4:]
