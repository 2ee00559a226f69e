# Grows without bound: stopped at the memory limit, verdict `memory`.
chunks = []
while True:
    chunks.append(bytearray(16 * 1024 * 1024))
