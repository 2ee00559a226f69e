# A program that fails: the verdict is `error` and carries the exception as data.
def average(xs):
    return sum(xs) / len(xs)

print(average([]))
