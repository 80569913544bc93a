"""Export summary declaration (汇总申报) — part of the information sharing system (filings)."""
