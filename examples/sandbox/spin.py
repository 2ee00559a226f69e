# Never ends: killed at the wall-time limit, verdict `timeout`.
while True:
    pass
