# A well-behaved program: prints, computes, exits 0.
import math
import sys

primes = [n for n in range(2, 60) if all(n % d for d in range(2, int(math.isqrt(n)) + 1))]
print(f"Python {sys.version.split()[0]}: {len(primes)} primes below 60, the last {primes[-1]}")
