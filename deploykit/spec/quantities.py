"""Kubernetes quantity syntax for memory and CPU, and the conversions each target needs.

Units differ per target (`512m` is megabytes to Compose and milli-bytes to Kubernetes), so the
profile uses one syntax, Kubernetes', and every target converts from exact integers here.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

MEMORY_PATTERN = r"^([0-9]+(?:\.[0-9]+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?$"
_MEMORY = re.compile(MEMORY_PATTERN)
_MEMORY_FACTORS = {
    None: 1,
    "k": 10**3,
    "M": 10**6,
    "G": 10**9,
    "T": 10**12,
    "Ki": 2**10,
    "Mi": 2**20,
    "Gi": 2**30,
    "Ti": 2**40,
}
CPU_PATTERN = r"^(?:([0-9]+)m|([0-9]+(?:\.[0-9]{1,3})?))$"
_CPU = re.compile(CPU_PATTERN)

MEBIBYTE = 2**20
MIN_MEMORY_BYTES = 10 * MEBIBYTE  # Nomad refuses less than 10 MB, Docker less than 6 MB
MIN_MILLICORES = 10  # Docker refuses `cpus` below 0.01
MAX_MILLICORES = 256_000
MAX_MEMORY_BYTES = 2**40


def parse_memory(text: str) -> int:
    """`256Mi` -> 268435456. Raises ValueError with a message fit for users."""
    match = _MEMORY.fullmatch(text)
    if not match:
        raise ValueError(
            f"{text!r} is not a memory quantity; use Kubernetes syntax such as 256Mi or 1Gi "
            "(binary Ki/Mi/Gi/Ti or decimal k/M/G/T; note that a lowercase m would mean milli)"
        )
    try:
        number = Decimal(match.group(1))
    except InvalidOperation:  # pragma: no cover - the regex admits only valid decimals
        raise ValueError(f"{text!r} is not a number") from None
    total = number * _MEMORY_FACTORS[match.group(2)]
    if total != total.to_integral_value():
        raise ValueError(f"{text!r} is not a whole number of bytes")
    value = int(total)
    if not MIN_MEMORY_BYTES <= value <= MAX_MEMORY_BYTES:
        # `memory: 512` is 512 bytes: almost always meant as MiB.
        hint = f"; a number without a unit is bytes: did you mean {text}Mi?" if text.isdigit() else ""
        raise ValueError(f"{text!r} is out of range; memory per process must be between 10Mi and 1Ti{hint}")
    return value


def parse_cpu(text: str) -> int:
    """`250m` -> 250 millicores, `1.5` -> 1500. Raises ValueError with a message fit for users."""
    match = _CPU.fullmatch(text)
    if not match:
        raise ValueError(f"{text!r} is not a CPU quantity; use millicores such as 250m, or cores such as 0.5 or 2")
    millicores = int(match.group(1)) if match.group(1) is not None else int(Decimal(match.group(2)) * 1000)
    if not MIN_MILLICORES <= millicores <= MAX_MILLICORES:
        raise ValueError(f"{text!r} is out of range; CPU per process must be between 10m and 256")
    return millicores


def mebibytes_rounded_up(value: int) -> int:
    """Bytes -> whole MiB, rounding up so a limit never shrinks (Nomad takes integer MB = MiB)."""
    return -(-value // MEBIBYTE)


def compose_memory(value: int) -> str:
    """Bytes as Compose writes sizes: the largest exact unit (`1g`, `768m`, `1536k`, or bytes `b`)."""
    for suffix, factor in (("g", 2**30), ("m", 2**20), ("k", 2**10)):
        if value % factor == 0:
            return f"{value // factor}{suffix}"
    return f"{value}b"


def compose_cpus(millicores: int) -> str:
    """Millicores as a Compose `cpus` decimal string: 2500 -> "2.5"."""
    return (
        format(Decimal(millicores) / 1000, "f").rstrip("0").rstrip(".")
        if millicores % 1000
        else str(millicores // 1000)
    )


def kubernetes_memory(value: int) -> str:
    """Bytes as a canonical Kubernetes quantity: the largest exact binary unit."""
    for suffix, factor in (("Ti", 2**40), ("Gi", 2**30), ("Mi", 2**20), ("Ki", 2**10)):
        if value % factor == 0:
            return f"{value // factor}{suffix}"
    return str(value)


def kubernetes_cpu(millicores: int) -> str:
    """Millicores as a Kubernetes quantity: 250 -> "250m", 2000 -> "2"."""
    return str(millicores // 1000) if millicores % 1000 == 0 else f"{millicores}m"


def nomad_cpu_mhz(millicores: int) -> int:
    """Millicores as Nomad's CPU share in MHz, counting one core as 1000 MHz: 250m -> 250.

    Nomad measures CPU in MHz of the node's clock, which no profile knows; 1 core = 1000 MHz keeps
    the number readable and reserves no more than a core of any clock. `nomad.cpu_mhz` overrides it.
    """
    return millicores
