"""Trusted guest code for ranking: generated tests as CodeT reads them (microsoft/CodeT
`postprocess.py`), the literal argument lists of their calls to the entry point, and which tests
are `assert entry(<literals>) == <literal>`. Loaded with rank_exec.py into the ranking helper's
session (execute.ts concatenates fingerprint.py, rank_tests.py and rank_exec.py); parses model
output, never runs it.
"""

import ast

STOPS = ("\nclass", "\ndef", "\n#", "\nif", "\nprint")

def _truncate(text):
    for stop in STOPS:
        if stop in text:
            text = text.split(stop)[0]
    return text.strip()


def _valid_case(case):
    if len(case.strip()) < 1 or "assert" not in case:
        return False
    try:
        body = case.replace("\n", "\n    ")
        compile("try:\n    %s\nexcept:\n    pass\n" % body, "", "exec")
        return True
    except Exception:
        return False


def extract_cases(completion, entry):
    """CodeT's `test_case_extract`: split at `assert `, keep parts naming the entry point, cut each
    at the stop sequences, keep those that compile inside a try block."""
    parts = ("assert %s" % completion).split("assert ")
    cases = [_truncate(("assert %s" % p).strip()) for p in parts if entry.strip() in p and len(p.strip()) > 0]
    return [c for c in cases if _valid_case(c)]


def _call_inputs(case, entry):
    """Argument lists of the calls to `entry` in a test whose arguments are all literals."""
    try:
        tree = ast.parse(case)
    except Exception:
        return []
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == entry):
            continue
        if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
            continue
        try:
            found.append([ast.literal_eval(a) for a in node.args])
        except Exception:
            continue
    return found


def _equality_test(case, entry):
    """(args key, expected) when the test is exactly `assert entry(<literals>) == <literal>`."""
    try:
        tree = ast.parse(case)
    except Exception:
        return None
    if len(tree.body) != 1 or not isinstance(tree.body[0], ast.Assert) or tree.body[0].msg is not None:
        return None
    test = tree.body[0].test
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq)):
        return None
    call = test.left
    if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == entry) or call.keywords:
        return None
    if any(isinstance(a, ast.Starred) for a in call.args):
        return None
    try:
        args = [ast.literal_eval(a) for a in call.args]
        expected = ast.literal_eval(test.comparators[0])
    except Exception:
        return None
    key = _args_key(args)
    return None if key is None else (key, expected)


def rank_inputs(tests, entry):
    """The distinct literal argument lists of the calls to `entry` in `tests`, in order."""
    inputs, seen = [], set()
    for case in tests:
        for args in _call_inputs(case, entry):
            key = _args_key(args)
            if key not in seen:
                seen.add(key)
                inputs.append(args)
    return inputs


def rank_extract(completions, entry, limit):
    """The tests of each test completion (the first `limit` of each when limit > 0) and the
    distinct literal argument lists of the calls to `entry` they make, in order of appearance."""
    per_completion = []
    for completion in completions:
        cases = extract_cases(completion, entry)
        if limit and limit > 0:
            cases = cases[:limit]
        per_completion.append(cases)
    return {"tests": per_completion, "inputs": rank_inputs([c for cases in per_completion for c in cases], entry)}


def _args_key(args):
    """Identity of an argument list: repr keeps 1, 1.0 and True apart."""
    try:
        return repr(list(args))
    except Exception:
        return None
