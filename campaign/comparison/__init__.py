"""数据比对: payment rolls compared with reference lists by rules kept as data
(docs/comparison.md)."""
