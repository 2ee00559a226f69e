# Forks until refused: the process limit holds, the run ends, nothing is left behind.
import os

children = 0
try:
    while True:
        if os.fork() == 0:
            import time
            time.sleep(60)
            os._exit(0)
        children += 1
except OSError as e:
    print(f"fork refused after {children} children: {e.strerror}")
