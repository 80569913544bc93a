"""Clearance: quota, tax and the inventory list's life (清单核放) — part of the information sharing system (filings)."""
