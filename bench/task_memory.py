"""Memory held by 100,000 pending asyncio tasks, each awaiting one shared future
(the same shape as bench/task_memory.ts), measured with tracemalloc.

usage: python3 bench/task_memory.py [N]
"""
import asyncio
import gc
import json
import sys
import tracemalloc

N = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000


async def main():
    loop = asyncio.get_running_loop()
    fut = loop.create_future()

    async def waiter():
        await fut

    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    tasks = [asyncio.create_task(waiter()) for _ in range(N)]
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    gc.collect()
    held = tracemalloc.get_traced_memory()[0] - before
    print(json.dumps({"name": "pending_tasks_memory", "tasks": N, "bytes_per_task": round(held / N),
                      "total_mib": round(held / 2**20, 1)}))
    fut.set_result(None)
    await asyncio.gather(*tasks)


asyncio.run(main())
