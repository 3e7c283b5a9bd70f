"""The fuzz targets are programs, not tests: pytest never imports them."""

collect_ignore_glob = ["fuzz_*.py", "_support.py", "seeds/*"]
