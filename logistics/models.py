"""Models of the smart logistics system (智能物流); they arrive with the issues that build it."""
