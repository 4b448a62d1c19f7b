"""Fulfillment writes: every change of stock, allocations and decisions goes through here."""
