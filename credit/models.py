"""Models of the credit system (电商信用); they arrive with the issues that build it."""
