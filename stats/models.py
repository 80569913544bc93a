"""Models of the statistics monitoring system (统计监测); they arrive with the issues that build it."""
