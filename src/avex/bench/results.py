"""Recording benchmark results in bench/RESULTS.md with the machine, date and command."""

from __future__ import annotations

import os
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path


def machine() -> str:
    cpu = platform.processor() or "unknown cpu"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, Python {platform.python_version()}"
    )


def record(path: str | Path, title: str, lines: list[str]) -> None:
    """Append one result section; the file keeps the history of runs."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    if not p.exists():
        p.write_text("# avex benchmark results\n\nEach section is one run, newest last.\n")
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    body = [f"\n## {title} — {stamp}\n", f"- machine: {machine()}", f"- command: `{' '.join(sys.argv)}`"]
    body += [f"- {line}" for line in lines]
    with p.open("a") as fh:
        fh.write("\n".join(body) + "\n")
