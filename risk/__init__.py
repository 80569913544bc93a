"""Risk control system (风险防控): rules, assessments, alerts, disposal and review, inspection routing."""
