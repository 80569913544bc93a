"""Finance system (金融服务): forex settlement, export tax refund, financing, export credit insurance."""
