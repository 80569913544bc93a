"""Smart logistics system (智能物流): tracking events, multimodal legs, overseas warehouses and their stock, returns."""
