"""Child process for the crash/resume test: runs one checkpointing job until it is ``kill -9``-ed.

Usage: python jobs_crash_child.py DB_PATH N DELAY  (prints the job id, then waits forever)
"""

from __future__ import annotations

import sys
import time
from typing import Any

from adlens.jobs import JobContext, LocalJobRunner


def steps(ctx: JobContext, params: dict[str, Any]) -> dict[str, Any]:
    """Sum 0..n-1, one number per step, checkpointing after every step."""
    state = ctx.resume_state or {"next": 0, "sum": 0}
    start = state["next"]
    total = state["sum"]
    for i in range(start, params["n"]):
        ctx.check_cancelled()
        total += i
        ctx.checkpoint({"next": i + 1, "sum": total})
        ctx.progress(i + 1, params["n"])
        time.sleep(params["delay"])
    return {"sum": total, "resumed_from": start, "attempt": ctx.attempt}


def main() -> None:
    db, n, delay = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    runner = LocalJobRunner(db, workers=1, progress_interval=0.05)
    runner.register("steps", steps)
    job = runner.submit("steps", {"n": n, "delay": delay})
    runner.start()
    print(job.id, flush=True)
    while True:
        time.sleep(1)


if __name__ == "__main__":
    main()
