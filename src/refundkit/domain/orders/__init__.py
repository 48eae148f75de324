"""The order and its protection (DESIGN §2)."""
