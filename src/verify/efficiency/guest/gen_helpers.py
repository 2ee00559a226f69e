# Helpers that ENAMEL's input generators call by name (rand_parens, miller_rabin,
# rand_probably_prime, rand_primality), written for Crucible. They make the same calls on the
# global `random` module, in the same order, as the helpers of ENAMEL's `enam` package
# (q-rz/enamel, Apache-2.0), so a generator seeded as ENAMEL seeds it builds the same inputs.
# Dataset code: this module and the generators run inside the sandbox only.
import random


def rand_parens(size, valid=True, par="()", sep=""):
    """Random parentheses of about `size` characters: balanced groups joined by `sep` (a list of
    groups when `sep` is None), or, with valid=False, a string with one misplaced pair."""
    opening, closing = par[0], par[1]
    if not valid:
        assert sep == ""
        half = (size + 1) // 2 - 1
        left = rand_parens(size=half, valid=True, par=par)
        right = rand_parens(size=half, valid=True, par=par)
        return left + closing + opening + right
    size += size % 2
    groups = []
    depth = 0
    for i in range(size):
        # Open when nothing is open; otherwise open at random while there is room to close.
        if depth == 0 or (depth < size - i and random.randint(0, 1)):
            if depth == 0:
                groups.append([])
            groups[-1].append(opening)
            depth += 1
        else:
            groups[-1].append(closing)
            depth -= 1
    groups = ["".join(g) for g in groups]
    return groups if sep is None else sep.join(groups)


def miller_rabin(n, k=5):
    """Probabilistic primality (k random bases)."""
    if n in (2, 3):
        return True
    if n == 1 or n % 2 == 0:
        return False
    r, d = 0, n - 1
    while d % 2 == 0:
        r += 1
        d //= 2
    for _ in range(k):
        x = pow(random.randint(2, n - 2), d, n)
        if x in (1, n - 1):
            continue
        for _ in range(r - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True


def rand_probably_prime(lb, ub=None):
    """A random probable prime in [lb, ub]; with one bound, in [lb // 2, lb] (Bertrand)."""
    if ub is None:
        lb = max(lb, 3)
        lb, ub = lb // 2, lb
    else:
        lb = max(lb, 0)
        ub = max(lb * 2, ub, 3)
    while True:
        p = random.randint(lb, ub)
        if miller_rabin(p):
            return p


def rand_primality(size, lid, cid):
    """An input for primality problems: fixed tricky numbers first, then primes, squares of
    primes and semiprimes in turn."""
    size = max(size, 4)
    if lid == 0 and cid < 4:
        # 59 * 509, Carmichael's 561, the even prime, a cube.
        return (2 * 3 * 5 * 7 * 11 * 13 + 1, 561, 2, 125)[cid]
    if cid % 3 == 0:
        return rand_probably_prime(size)
    m = int(size ** 0.5 + 1)
    if cid % 3 == 1:
        return rand_probably_prime(m) ** 2
    return rand_probably_prime(m) * rand_probably_prime(m)
