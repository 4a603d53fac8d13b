"""Benchmark harnesses (not used by the app): the `bench` stream loop, the overlapped
detect/classify loop and the `bench-control` scoring. They drive `pipeline.session`."""
