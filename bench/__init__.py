"""The benchmarks: tools that measure the product, kept apart from it.

bench/ may import any package of the product; nothing in the product imports bench/ except
the thin click commands in cli/bench.py (`ykt bench`, `ykt bench-reports`)."""
