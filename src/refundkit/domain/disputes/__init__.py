"""Disputes: the buyer's way to get money back after shipment (DESIGN §3)."""
