"""Reconciliation (三单比对) — part of the information sharing system (filings)."""
