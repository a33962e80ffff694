"""What this CPU can do, read once from /proc/cpuinfo: the facts that pick a backend's number format
and that every benchmark figure is recorded with.

Machines of the same kind differ here: on a CPU with native bf16 (AVX512_BF16 or AMX), transformers
in bf16 is twice as fast as fp32; on one without it, bf16 is emulated and 3-5x slower than fp32
(../shared/MODELS.md, update 2026-12). Defaults must follow the CPU, not assume one.
"""

from __future__ import annotations

import functools
import os
import platform
from pathlib import Path

# The flags that decide speed for the models Aisle runs; benchmarks record these.
SPEED_FLAGS = ("avx2", "fma", "f16c", "avx512f", "avx512_vnni", "avx512_bf16", "amx_bf16", "amx_int8", "avx_vnni")
_NATIVE_BF16 = frozenset({"avx512_bf16", "amx_bf16"})


@functools.cache
def cpu_flags(cpuinfo: Path = Path("/proc/cpuinfo")) -> frozenset[str]:
    """The CPU's feature flags (empty where /proc/cpuinfo doesn't exist, e.g. not Linux)."""
    try:
        text = cpuinfo.read_text()
    except OSError:
        return frozenset()
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() in {"flags", "Features"}:
            return frozenset(value.split())
    return frozenset()


def has_native_bf16(flags: frozenset[str] | None = None) -> bool:
    """Whether bf16 arithmetic runs in hardware (else transformers should run in fp32)."""
    return bool((cpu_flags() if flags is None else flags) & _NATIVE_BF16)


@functools.cache
def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name":
                return value.strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def describe_cpu() -> dict[str, object]:
    """The CPU facts a benchmark figure needs beside it to be comparable."""
    flags = cpu_flags()
    return {
        "model": cpu_model(),
        "cores": os.cpu_count(),
        "flags": [flag for flag in SPEED_FLAGS if flag in flags],
        "native_bf16": has_native_bf16(flags),
    }
