"""Models of the information sharing system (信息共享); they arrive with the issues that build it."""
