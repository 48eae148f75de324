"""Chargebacks: the buyer asked the bank, not us, to reverse the payment."""
