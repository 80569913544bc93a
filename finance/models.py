"""Models of the finance system (金融服务); they arrive with the issues that build it."""
