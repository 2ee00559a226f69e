# The dataset side of a leveled efficiency problem (ENAMEL's protocol), run inside the sandbox
# in an interpreter of its own: the task's input generator builds the tests, and its checker
# judges outputs. Generators and checkers are code from a dataset; the program being measured
# never runs here, so it cannot see the expected answers or patch the checker. The generator
# helpers (gen_helpers.py) are loaded into this module's namespace before it.
import random
import string
import time

_inputs = []  # per level, the argument tuples as the generator built them
_answers = []  # per level, the reference's outputs
_check = None

_MAKE = "%s\n%s\nrandom.seed(%d)\n__input = generate_input(size = %d, lid = %d, cid = %d)\n"


def _helpers():
    return {
        "time": time,
        "random": random,
        "string": string,
        "rand_parens": rand_parens,  # noqa: F821 - from gen_helpers.py, loaded first
        "miller_rabin": miller_rabin,  # noqa: F821
        "rand_probably_prime": rand_probably_prime,  # noqa: F821
        "rand_primality": rand_primality,  # noqa: F821
    }


def crucible_make_tests(prompt, generator, sizes, counts, seed):
    """Builds every level's inputs as ENAMEL does: for level j and case k, the prompt and the
    generator run in a fresh scope, `random` is seeded with `seed ^ (cases before level j + k)`
    and `generate_input(size, j, k)` is called. Returns the inputs, each as its argument list."""
    global _inputs
    _inputs = []
    before = 0
    for level, (size, count) in enumerate(zip(sizes, counts)):
        cases = []
        for case in range(count):
            scope = _helpers()
            exec(_MAKE % (prompt, generator, seed ^ (before + case), size, level, case), scope)
            cases.append(tuple(scope["__input"]))
        _inputs.append(cases)
        before += count
    return [[list(args) for args in cases] for cases in _inputs]


def crucible_set_answers(prompt, checker, answers):
    """Keeps the reference's outputs and loads the checker (`prompt` with a `pass` body, then
    the checker's `__check(input, answer, output)`, as ENAMEL's template runs it)."""
    global _answers, _check
    _answers = answers
    scope = {"__name__": "__checker__"}
    exec("%s\n    pass\n%s\n" % (prompt, checker), scope)
    _check = scope["__check"]
    return True


def crucible_check(level, first, outputs):
    """Index (within `outputs`) of the first output the checker rejects, or -1; the outputs are
    those of the level's cases from `first` on. A checker that raises rejects."""
    for i, output in enumerate(outputs):
        case = first + i
        try:
            ok = _check(_inputs[level][case], _answers[level][case], output)
        except Exception:
            ok = False
        if not ok:
            return i
    return -1
