"""Models of the risk control system (风险防控); they arrive with the issues that build it."""
