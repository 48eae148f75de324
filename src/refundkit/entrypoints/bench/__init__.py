"""``refundkit bench``: six workloads, each beside a raw ceiling measured in the same run on
the same database."""
